"""A Kubernetes API for end-to-end tests: kmock's in-memory emulator with the gaps of kmock 0.8
corrected (see ../shared/KUBERNETES-TESTING.md; each one was hit as a real failure), a kubeconfig
for clients, and helpers to read objects back."""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime
import itertools
import json
import re
import uuid
from pathlib import Path
from typing import Any

import aiohttp.web
import jsonpatch
import kmock
import yaml
from kmock._internal import enums, rendering

SELF_REVIEWS = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
NAMESPACES = re.compile(r"^/api/v1/namespaces(?:/(?P<name>[^/]+))?/?$")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


HISTORY = 64  # requests kmock keeps (see KubeAPI._handle)


class KubeAPI(kmock.KubernetesEmulator):  # type: ignore[misc]
    """kmock's emulator, corrected where 0.8 differs from a real API server."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._versions = itertools.count(1000)
        self.namespaces: dict[str, dict[str, Any]] = {}
        self._watchers: list[tuple[Any, Any]] = []  # (loop, queue) of open namespace watches
        self.users = {"test-token": "test-user"}  # bearer token -> username (SelfSubjectReview)
        cluster_scoped = ("CustomResourceDefinition", "Namespace")
        for resource, kind in (
            ("v1/secrets", "Secret"),
            ("v1/events", "Event"),
            ("v1/configmaps", "ConfigMap"),
            ("v1/namespaces", "Namespace"),
            ("apiextensions.k8s.io/v1/customresourcedefinitions", "CustomResourceDefinition"),
        ):
            self.resources[resource] = kmock.ResourceInfo(
                kind=kind,
                namespaced=kind not in cluster_scoped,
                verbs={"get", "list", "watch", "create", "patch", "update", "delete"},
            )
        for name in ("default",):  # 2: namespaces must exist
            self.add_namespace(name)

    def add_namespace(self, name: str) -> None:
        self.namespaces[name] = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "uid": str(uuid.uuid4()),
                "creationTimestamp": _now(),
                "resourceVersion": str(next(self._versions)),
            },
            "status": {"phase": "Active"},
        }
        for loop, queue in list(self._watchers):  # from any thread: open watches see it
            loop.call_soon_threadsafe(
                queue.put_nowait, {"type": "ADDED", "object": self.namespaces[name]}
            )

    # 1: /api/v1/namespaces[/name] crashes the path parser: serve namespaces here.
    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        if raw_request.path == SELF_REVIEWS and raw_request.method == "POST":
            return self._who(raw_request)
        match = NAMESPACES.match(raw_request.path)
        if match is None:
            return await super().__call__(raw_request)
        name = match["name"]
        if raw_request.method == "POST":
            body = await raw_request.json()
            self.add_namespace(body["metadata"]["name"])
            return aiohttp.web.json_response(self.namespaces[body["metadata"]["name"]], status=201)
        if name is not None:
            if name not in self.namespaces:
                return self._status(404, "NotFound", f'namespaces "{name}" not found')
            return aiohttp.web.json_response(self.namespaces[name])
        listing = {
            "apiVersion": "v1",
            "kind": "NamespaceList",
            "metadata": {"resourceVersion": "1"},
            "items": list(self.namespaces.values()),
        }
        if raw_request.query.get("watch") == "true":
            response = aiohttp.web.StreamResponse(headers={"Content-Type": "application/json"})
            await response.prepare(raw_request)
            queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
            watcher = (asyncio.get_running_loop(), queue)
            self._watchers.append(watcher)
            try:
                for item in list(self.namespaces.values()):
                    await response.write(
                        json.dumps({"type": "ADDED", "object": item}).encode() + b"\n"
                    )
                deadline = asyncio.get_running_loop().time() + float(
                    raw_request.query.get("timeoutSeconds", "60")
                )
                while (left := deadline - asyncio.get_running_loop().time()) > 0:
                    try:
                        event = await asyncio.wait_for(queue.get(), timeout=left)
                    except TimeoutError:
                        break
                    await response.write(json.dumps(event).encode() + b"\n")
            finally:
                self._watchers.remove(watcher)
            return response
        return aiohttp.web.json_response(listing)

    def _who(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.Response:
        """A SelfSubjectReview: the user of the request's bearer token (`users`)."""
        token = raw_request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if token not in self.users:
            return self._status(401, "Unauthorized", "Unauthorized")
        return aiohttp.web.json_response(
            {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "SelfSubjectReview",
                "metadata": {"creationTimestamp": _now()},
                "status": {"userInfo": {"username": self.users[token], "groups": []}},
            },
            status=201,
        )

    @staticmethod
    def _status(code: int, reason: str, message: str) -> aiohttp.web.Response:
        return aiohttp.web.json_response(
            {
                "apiVersion": "v1",
                "kind": "Status",
                "metadata": {},
                "status": "Failure",
                "code": code,
                "reason": reason,
                "message": message,
            },
            status=code,
        )

    def _key(self, request: rendering.Request) -> Any:
        return (request.resource, request.namespace, request.name)

    async def _handle(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        # 10: kmock keeps every request and matches each new one by scanning that history, so a
        # long module of operator tests slows the API quadratically until the late tests time out.
        # Nothing here asserts on kmock's history: keep a short tail of it.
        del self._requests[:-HISTORY]
        if (
            request.resource is not None
            and request.action == enums.action.CREATE
            and isinstance(request.data, dict)
        ):
            meta = request.data.setdefault("metadata", {})
            meta.setdefault("namespace", request.namespace)  # 4: from the URL
            if not meta.get("name") and meta.get("generateName"):  # as a real server names events
                meta["name"] = f"{meta['generateName']}{uuid.uuid4().hex[:5]}"
            meta.update(
                uid=str(uuid.uuid4()),
                creationTimestamp=_now(),
                generation=1,
                resourceVersion=str(next(self._versions)),
            )
            if request.resource.group == "apiextensions.k8s.io":
                self._register_crd(request.data)  # 9
            if request.resource.plural == "secrets" and request.data.get("stringData"):
                data = request.data.setdefault("data", {})
                for name, value in request.data.pop("stringData").items():
                    data[name] = base64.b64encode(str(value).encode()).decode()
        if request.resource is not None and request.name is not None:
            key = self._key(request)
            exists = key in self.objects and not self.objects[key].deleted
            if request.method == "PUT" and exists:  # 8: replace
                return await self._replace(request, key)
            if (
                request.method == "PATCH" and exists and isinstance(request.data, list)
            ):  # 5: JSON patch
                return await self._json_patch(request, key)
            if request.method == "PATCH" and exists and isinstance(request.data, dict):
                self._versioned(request, key, request.data)
        response = await super()._handle(request)
        if request.action == enums.action.CREATE and response.status == 200:
            response.set_status(201)  # 3: the kubernetes client decodes only 201 on create
        return response

    def _versioned(self, request: rendering.Request, key: Any, patch: dict[str, Any]) -> None:
        """4: a new resourceVersion on every change, and generation + 1 when the spec changes."""
        old = self.objects[key].raw
        meta = (
            patch.setdefault("metadata", {}) if isinstance(patch.get("metadata", {}), dict) else {}
        )
        meta["resourceVersion"] = str(next(self._versions))
        if request.subresource != "status" and "spec" in patch:
            new_spec = _merge(copy.deepcopy(old.get("spec")), patch["spec"])
            if new_spec != old.get("spec"):
                meta["generation"] = int(old.get("metadata", {}).get("generation", 1)) + 1
        if request.subresource == "status":
            for field in list(patch):
                if field not in ("status", "metadata"):
                    patch.pop(field)  # the status subresource changes nothing else

    async def _store(
        self, request: rendering.Request, key: Any, new: dict[str, Any]
    ) -> aiohttp.web.Response:
        old = self.objects[key].raw
        new.setdefault("metadata", {})["resourceVersion"] = str(next(self._versions))
        if new.get("spec") != old.get("spec"):
            new["metadata"]["generation"] = int(old.get("metadata", {}).get("generation", 1)) + 1
        self.objects[key].patch(_merge_patch(old, new))
        raw = self.objects[key].raw
        await self._buses[request.resource].put({"type": "MODIFIED", "object": raw})
        meta = raw.get("metadata", {})
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            self.objects[key].delete()
            await self._buses[request.resource].put({"type": "DELETED", "object": raw})
        return aiohttp.web.json_response(raw)

    async def _replace(self, request: rendering.Request, key: Any) -> aiohttp.web.Response:
        old = self.objects[key].raw
        expected = (request.data.get("metadata") or {}).get("resourceVersion")
        if expected and expected != old["metadata"].get("resourceVersion"):
            return self._status(409, "Conflict", "the object has been modified")
        new = copy.deepcopy(request.data)
        keep = {
            k: old["metadata"][k]
            for k in ("uid", "creationTimestamp", "generation", "namespace")
            if k in old["metadata"]
        }
        new["metadata"] = {**new.get("metadata", {}), **keep}
        if request.subresource == "status":
            new = {**old, "status": new.get("status")}
        return await self._store(request, key, new)

    async def _json_patch(self, request: rendering.Request, key: Any) -> aiohttp.web.Response:
        old = self.objects[key].raw
        try:
            new = jsonpatch.apply_patch(old, request.data)
        except (jsonpatch.JsonPatchTestFailed, jsonpatch.JsonPatchConflict) as error:
            return self._status(422, "Invalid", f"the JSON patch failed: {error}")  # 5: not 500
        return await self._store(request, key, new)

    def _register_crd(self, crd: dict[str, Any]) -> None:
        spec = crd["spec"]
        names = spec["names"]
        for version in spec["versions"]:
            self.resources[f"{spec['group']}/{version['name']}/{names['plural']}"] = (
                kmock.ResourceInfo(
                    kind=names["kind"],
                    singular=names.get("singular"),
                    namespaced=spec.get("scope") == "Namespaced",
                    shortnames=set(names.get("shortNames", [])),
                    categories=set(names.get("categories", [])),
                    subresources=set(version.get("subresources", {})),
                    verbs={"get", "list", "watch", "create", "patch", "update", "delete"},
                )
            )

    # 6: discovery and lists as clients expect them.
    async def _serve_version(self, request: rendering.Request) -> Any:
        payload = await super()._serve_version(request)
        if isinstance(payload, dict) and payload.get("groupVersion", "").startswith("/"):
            payload["groupVersion"] = payload["groupVersion"][1:]
        return payload

    async def _serve_list(self, request: rendering.Request) -> Any:
        payload = await super()._serve_list(request)
        if isinstance(payload, dict) and request.resource is not None:
            info = self.resources[request.resource]
            group, version = request.resource.group, request.resource.version
            payload["apiVersion"] = f"{group}/{version}" if group else version
            payload["kind"] = f"{info.kind or request.resource.plural.capitalize()}List"
            payload["metadata"] = {"resourceVersion": str(next(self._versions))}
        return payload


def _merge(base: Any, patch: Any) -> Any:
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


def _merge_patch(old: Any, new: Any) -> Any:
    """A merge patch turning `old` into `new` (removed keys become None)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    patch = {key: None for key in old if key not in new}
    for key, value in new.items():
        if key not in old or old[key] != value:
            patch[key] = _merge_patch(old.get(key), value) if isinstance(value, dict) else value
    return patch


def kubeconfig(path: Path, url: str) -> Path:
    """A kubeconfig pointing at the test API with a dummy token."""
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "test",
                "clusters": [{"name": "test", "cluster": {"server": url}}],
                "users": [{"name": "test", "user": {"token": "test-token"}}],
                "contexts": [
                    {
                        "name": "test",
                        "context": {"cluster": "test", "user": "test", "namespace": "default"},
                    }
                ],
            }
        )
    )
    return path


class KubeThread:
    """The test API server in its own thread and event loop (kopf and clients run elsewhere)."""

    def __init__(self) -> None:
        import asyncio
        import threading

        self.api = KubeAPI()
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kube-api", daemon=True)
        self._stack: Any = None

    def __enter__(self) -> KubeThread:
        import asyncio
        import contextlib

        self._thread.start()

        async def start() -> str:
            self._stack = contextlib.AsyncExitStack()
            await self._stack.enter_async_context(self.api)
            server = await self._stack.enter_async_context(kmock.Server(self.api))
            return str(server.url).rstrip("/")

        self.url = asyncio.run_coroutine_threadsafe(start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self._stack.aclose(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)


def client_with_crds(directory: Path, url: str, crds: Path) -> Any:
    """A Kubernetes API client of the test API (its kubeconfig written in `directory`, and made
    the default one, which kopf logs in with), the CRDs of `crds` created."""
    import os

    path = kubeconfig(directory / "kubeconfig", url)
    os.environ["KUBECONFIG"] = str(path)
    from kubernetes import client, config

    # kopf logs in with the default kubeconfig, read from $KUBECONFIG when kubernetes was first
    # imported, perhaps by an earlier test module: point it here.
    config.kube_config.KUBE_CONFIG_DEFAULT_LOCATION = str(path)
    config.load_kube_config(str(path))
    api = client.ApiClient()
    for crd in sorted(crds.glob("*.yaml")):
        client.ApiextensionsV1Api(api).create_custom_resource_definition(
            yaml.safe_load(crd.read_text())
        )
    return api
