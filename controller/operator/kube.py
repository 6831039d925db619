"""The World as the Kubernetes API: other resources, Secrets of the same namespace, status patches,
Events. The `kubernetes` client is synchronous; its calls run in threads."""

from __future__ import annotations

import asyncio
import base64
from typing import Any, cast

import kopf
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from controller.access import SecretData
from controller.api.base import GROUP, VERSION
from controller.api.resources import KIND_BY_NAME
from controller.reconcile.services import EventType


def load_client() -> client.ApiClient:
    """In-cluster configuration, else the kubeconfig (`$KUBECONFIG`)."""
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config()  # type: ignore[no-untyped-call]
    return client.ApiClient()


class KubeWorld:
    """Reads and writes through the Kubernetes API."""

    def __init__(self, api: client.ApiClient):
        self.custom = client.CustomObjectsApi(api)
        self.core = client.CoreV1Api(api)

    @staticmethod
    def _plural(kind: str) -> str:
        return KIND_BY_NAME[kind].plural

    async def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        def fetch() -> Any:
            return self.custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, self._plural(kind), name
            )

        try:
            found = await asyncio.to_thread(fetch)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return cast(dict[str, Any], found)

    async def list(self, kind: str, namespace: str) -> list[dict[str, Any]]:
        found: Any = await asyncio.to_thread(
            self.custom.list_namespaced_custom_object, GROUP, VERSION, namespace, self._plural(kind)
        )
        return cast(list[dict[str, Any]], found.get("items", []))

    async def secret(self, namespace: str, name: str) -> SecretData | None:
        try:
            secret = await asyncio.to_thread(self.core.read_namespaced_secret, name, namespace)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        data = {k: base64.b64decode(v) for k, v in (secret.data or {}).items()}
        data.update(
            {k: str(v).encode() for k, v in (getattr(secret, "string_data", None) or {}).items()}
        )
        return SecretData(data, (secret.metadata.annotations if secret.metadata else None) or {})

    async def create(self, kind: str, namespace: str, body: dict[str, Any]) -> None:
        try:
            await asyncio.to_thread(
                self.custom.create_namespaced_custom_object,
                GROUP,
                VERSION,
                namespace,
                self._plural(kind),
                body,
            )
        except ApiException as error:
            if error.status != 409:  # already there: creates are idempotent by name
                raise

    async def delete(self, kind: str, namespace: str, name: str) -> None:
        try:
            await asyncio.to_thread(
                self.custom.delete_namespaced_custom_object,
                GROUP,
                VERSION,
                namespace,
                self._plural(kind),
                name,
            )
        except ApiException as error:
            if error.status != 404:  # gone already: deletes are idempotent too
                raise

    async def patch_status(
        self, kind: str, namespace: str, name: str, patch: dict[str, Any]
    ) -> None:
        await asyncio.to_thread(
            self.custom.patch_namespaced_custom_object_status,
            GROUP,
            VERSION,
            namespace,
            self._plural(kind),
            name,
            {"status": patch},
        )

    async def event(self, obj: dict[str, Any], type_: EventType, reason: str, message: str) -> None:
        kopf.event(cast(Any, obj), type=type_, reason=reason, message=message[:1024])
