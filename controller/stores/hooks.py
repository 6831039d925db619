"""The store's webhooks StagingPro keeps (`/v3/hooks`, each API client sees only its own): one per
scope it listens to, sent to the operator's receiver with a secret in a custom header. Kept
idempotently: created when missing, reactivated (the platform deactivates a hook whose deliveries
keep failing) and given the current secret when they differ; removed with their environment."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from controller.stores.client import StoreClient

HOOKS = "/v3/hooks"
SECRET_HEADER = "X-StagingPro-Secret"
# Product changes (its variants, custom fields and images change the product) and inventory.
SCOPES = ("store/product/*", "store/sku/*")


@dataclass(frozen=True)
class WebhookConfig:
    """Where the stores reach the receiver (`public_url`, through an ingress) and the key the
    per-environment secrets derive from (random unless given: an operator that restarts gives
    the hooks its new secrets at each environment's first check)."""

    public_url: str
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def destination(self, namespace: str, name: str) -> str:
        """The callback URL of an environment."""
        return f"{self.public_url.rstrip('/')}/hooks/{namespace}/{name}"

    def secret(self, namespace: str, name: str) -> str:
        """The header value that authenticates an environment's callbacks."""
        return hmac.new(self.key, f"{namespace}/{name}".encode(), hashlib.sha256).hexdigest()


async def _ours(store: StoreClient, destination: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async for page in store.pages(HOOKS, {"destination": destination}):
        found.extend(h for h in page if h.get("destination") == destination)
    return found


async def keep_hooks(store: StoreClient, destination: str, secret: str) -> bool:
    """Make the store's hooks to `destination` exactly one active hook per scope carrying
    `secret`; whether they all were so already (no write made)."""
    headers = {SECRET_HEADER: secret}
    by_scope: dict[str, list[dict[str, Any]]] = {}
    for hook in await _ours(store, destination):
        by_scope.setdefault(hook["scope"], []).append(hook)
    untouched = True
    for scope in SCOPES:
        hooks = by_scope.pop(scope, [])
        for extra in hooks[1:]:
            await store.request("DELETE", f"{HOOKS}/{extra['id']}", endpoint=f"{HOOKS}/{{id}}")
            untouched = False
        if not hooks:
            body = {
                "scope": scope,
                "destination": destination,
                "is_active": True,
                "headers": headers,
            }
            await store.request("POST", HOOKS, json=body)
            untouched = False
        elif not hooks[0].get("is_active") or (hooks[0].get("headers") or {}) != headers:
            await store.request(
                "PUT",
                f"{HOOKS}/{hooks[0]['id']}",
                endpoint=f"{HOOKS}/{{id}}",
                json={"is_active": True, "headers": headers},
            )
            untouched = False
    for stale in by_scope.values():  # scopes no longer listened to
        for hook in stale:
            await store.request("DELETE", f"{HOOKS}/{hook['id']}", endpoint=f"{HOOKS}/{{id}}")
            untouched = False
    return untouched


async def drop_hooks(store: StoreClient, destination: str) -> int:
    """Remove the store's hooks to `destination`; how many there were."""
    hooks = await _ours(store, destination)
    for hook in hooks:
        await store.request("DELETE", f"{HOOKS}/{hook['id']}", endpoint=f"{HOOKS}/{{id}}")
    return len(hooks)
