"""What reconcilers use besides the resource they reconcile: the world of other objects and
Secrets (the Kubernetes API, or local files in standalone mode), store clients, Git, metrics."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from controller.access import AccessPolicy, Binding, SecretData, bind, ensure_clone_target
from controller.api.base import SecretKeyReference
from controller.api.resources import StoreEnvironment
from controller.api.snapshot import GitSource
from controller.engine.observation import Observations
from controller.engine.snapshots import ResolvedCatalog, footprint, resolve_git, resolve_inline
from controller.errors import DependencyNotReady
from controller.gitsource import GitCache, GitCredentials
from controller.metrics import Metrics
from controller.review.shelf import ReviewShelf
from controller.stores import BigCommerceStore, RateGovernor, RetryPolicy, Token
from controller.stores.hooks import WebhookConfig

EventType = Literal["Normal", "Warning"]


class World(Protocol):
    """Other resources, Secrets and events, as the operator (Kubernetes API) or the standalone loop
    (files) provides them."""

    async def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None: ...
    async def list(self, kind: str, namespace: str) -> list[dict[str, Any]]: ...
    async def secret(self, namespace: str, name: str) -> SecretData | None: ...
    async def create(self, kind: str, namespace: str, body: dict[str, Any]) -> None: ...
    async def delete(self, kind: str, namespace: str, name: str) -> None: ...
    async def patch_status(
        self, kind: str, namespace: str, name: str, patch: dict[str, Any]
    ) -> None: ...
    async def event(
        self, obj: dict[str, Any], type_: EventType, reason: str, message: str
    ) -> None: ...


class StatusObserver(Protocol):
    """Told of every status write of every object (notifications follow phases this way); it
    must return at once and never fail the reconcile."""

    def written(self, obj: Mapping[str, Any], patch: Mapping[str, Any]) -> None: ...


class SecretMissing(DependencyNotReady):
    """The credentials Secret does not exist (yet) in the resource's own namespace."""

    reason = "SecretNotFound"


class SecretKeyMissing(DependencyNotReady):
    """The Secret exists but lacks the key (yet)."""

    reason = "SecretKeyNotFound"


async def require(
    world: World, kind: str, namespace: str, name: str, *, reason: str, purpose: str = ""
) -> dict[str, Any]:
    """Another object this one needs; `DependencyNotReady` with `reason` while it does not exist."""
    found = await world.get(kind, namespace, name)
    if found is None:
        prefix = f"{purpose}: " if purpose else ""
        raise DependencyNotReady(f"{prefix}{kind} {namespace}/{name} not found", reason=reason)
    return found


async def read_secret_key(
    world: World, namespace: str, ref: SecretKeyReference
) -> tuple[str, SecretData]:
    """The text of one key of a Secret in `namespace`, and the Secret; `SecretMissing` /
    `SecretKeyMissing` name it."""
    data = await world.secret(namespace, ref.name)
    if data is None:
        raise SecretMissing(f"Secret {namespace}/{ref.name} not found")
    if ref.key not in data:
        raise SecretKeyMissing(f"Secret {namespace}/{ref.name} has no key {ref.key!r}")
    return data[ref.key].decode().strip(), data


class StoreRegistry:
    """Store clients, one rate governor and one write lock per store (shared by the environment's
    sync, its clone and every deployment, so that one write operation runs at a time per store),
    and a bound on stores written in parallel."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        concurrency: int = 8,
        parallel_stores: int = 16,
        retry: RetryPolicy | None = None,
    ):
        self.metrics = metrics
        self.concurrency = concurrency
        self.retry = retry
        self._governors: dict[str, RateGovernor] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._parallel = asyncio.Semaphore(parallel_stores)

    @staticmethod
    def key(api_url: str, store_hash: str) -> str:
        """Identity of a store."""
        return f"{api_url.rstrip('/')}/stores/{store_hash}"

    def client(self, api_url: str, store_hash: str, token: str) -> BigCommerceStore:
        """A client for the store (close it after use; the governor outlives it)."""
        key = self.key(api_url, store_hash)
        governor = self._governors.get(key)
        if governor is None:
            governor = self._governors[key] = RateGovernor(self.concurrency)
            wait = self.metrics.rate_limit_wait.labels(store_hash)
            governor.on_wait = wait.inc
        return BigCommerceStore(
            api_url,
            store_hash,
            Token(token),
            governor=governor,
            retry=self.retry,
            on_response=self._observer(store_hash, governor),
        )

    def _observer(
        self, store_hash: str, governor: RateGovernor
    ) -> Callable[[str, str, str, int], None]:
        def observe(store: str, method: str, endpoint: str, status: int) -> None:
            self.metrics.on_response(store, method, endpoint, status)
            if governor.state.left is not None:
                self.metrics.quota_remaining.labels(store_hash).set(max(0, governor.state.left))

        return observe

    def write_lock(self, api_url: str, store_hash: str) -> asyncio.Lock:
        """The lock every writer to this store holds."""
        return self._locks.setdefault(self.key(api_url, store_hash), asyncio.Lock())

    @property
    def parallel(self) -> asyncio.Semaphore:
        """Bounds the stores being written at once."""
        return self._parallel


async def _outcome(load: Callable[..., ResolvedCatalog], *args: Any) -> ResolvedCatalog | Exception:
    """A shared load's result or its error as a value: the load runs on when the waiter that started
    it is cancelled, and a task left failed in the loop is re-raised by kopf when the operator stops."""
    try:
        return await asyncio.to_thread(load, *args)
    except Exception as error:
        return error


class CatalogCache:
    """Resolved catalogs by revision, least recently used first out, so that an environment's drift
    check every interval does not reload unchanged files; bounded by their estimated size in memory
    (the newest is always kept)."""

    def __init__(self, git: GitCache, max_bytes: int = 256 * 2**20):
        self.git = git
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, ...], tuple[ResolvedCatalog, int]] = OrderedDict()
        self._loading: dict[tuple[str, ...], asyncio.Future[ResolvedCatalog | Exception]] = {}

    async def from_git(
        self, namespace: str, source: GitSource, ref: str, credentials: GitCredentials | None
    ) -> ResolvedCatalog:
        """The catalog at `ref` (a commit, for repeatable reads) of a Git source, as `namespace`
        reads it (with its own credentials and Git cache)."""
        key = ("git", namespace, source.url, ref, source.path)
        found = self._get(key)
        if found is not None:
            return found
        # environments checked at once share one load (and one catalog in memory)
        loading = self._loading.get(key)
        if loading is None:
            loading = self._loading[key] = asyncio.ensure_future(
                _outcome(
                    resolve_git,
                    self.git.scoped(namespace),
                    source.url,
                    ref,
                    source.path,
                    credentials,
                )
            )
            try:
                outcome = await asyncio.shield(loading)
            finally:
                del self._loading[key]
            if isinstance(outcome, Exception):
                raise outcome
            self._remember(key, outcome)
            return outcome
        outcome = await asyncio.shield(loading)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def from_inline(self, inline: dict[str, Any]) -> ResolvedCatalog:
        """An inline catalog (validated each time: it is small)."""
        digest = hashlib.sha256(repr(sorted(inline.items())).encode()).hexdigest()
        key = ("inline", digest)
        found = self._get(key)
        if found is None:
            found = resolve_inline(inline)
            self._remember(key, found)
        return found

    @property
    def size(self) -> int:
        """The estimated bytes held."""
        return sum(size for _, size in self._entries.values())

    def _get(self, key: tuple[str, ...]) -> ResolvedCatalog | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def _remember(self, key: tuple[str, ...], value: ResolvedCatalog) -> None:
        self._entries[key] = (value, footprint(value.catalog))
        self._entries.move_to_end(key)
        while len(self._entries) > 1 and self.size > self.max_bytes:
            self._entries.popitem(last=False)


@dataclass
class Services:
    """Everything a reconciler needs; one instance per operator or standalone loop."""

    world: World
    stores: StoreRegistry
    git: GitCache
    metrics: Metrics
    catalogs: CatalogCache
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    snapshot_poll_seconds: float = 60.0
    approval_poll_seconds: float = 15.0
    access: AccessPolicy = field(default_factory=AccessPolicy)
    observations: Observations = field(default_factory=Observations)  # stores between checks
    observer: StatusObserver | None = None
    webhooks: WebhookConfig | None = None  # the operator's receiver, when the stores can reach it
    reviews: ReviewShelf | None = None  # the plans as review pages, when a web UI shows them
    # the largest Catalog V2 to V3 migration plan a target keeps in its status (an object stays
    # under Kubernetes' 1.5 MB); a larger one stops the target before any write
    migration_plan_max_bytes: int = 800_000


async def git_credentials(
    world: World, namespace: str, secret_name: str | None
) -> GitCredentials | None:
    """Git credentials from a Secret of the namespace, if one is named."""
    if secret_name is None:
        return None
    data = await world.secret(namespace, secret_name)
    if data is None:
        raise SecretMissing(f"Secret {namespace}/{secret_name} not found")
    return GitCredentials.from_secret(data)


async def open_store(svc: Services, env: StoreEnvironment) -> BigCommerceStore:
    """A client for an environment's store, once its Secret is shown to be bound to that store
    (`controller.access`): nothing is sent otherwise."""
    token, _ = await store_credentials(svc, env)
    return svc.stores.client(env.spec.store.api_url, env.spec.store.hash, token)


async def store_credentials(svc: Services, env: StoreEnvironment) -> tuple[str, Binding]:
    """The environment's token and what its Secret binds it to; `Stalled` before any request when
    the API origin is not allowed or the Secret does not declare this store and role."""
    namespace = env.metadata.namespace or "default"
    svc.access.check_api_url(env.spec.store.api_url)
    ref = env.spec.store.credentials_secret_ref
    token, data = await read_secret_key(svc.world, namespace, ref)
    binding = await asyncio.to_thread(
        bind,
        f"{namespace}/{ref.name}",
        data,
        store_hash=env.spec.store.hash,
        api_url=env.spec.store.api_url,
        role=env.spec.role,
        policy=svc.access,
    )
    return token, binding


async def check_clone(svc: Services, env: StoreEnvironment, source: StoreEnvironment) -> None:
    """Refuse a clone into the store it copies from."""
    _, target_binding = await store_credentials(svc, env)
    _, source_binding = await store_credentials(svc, source)
    ensure_clone_target(target_binding, source_binding)
