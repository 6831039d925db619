"""Store credentials bound to their store: a token Secret declares, in annotations set by whoever
creates it, which store it is for (hash and API origin) and that store's role. A token is used
only for an environment that matches all three, so a StoreEnvironment cannot send it anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from controller.access.urls import AccessPolicy, check_host, origin
from controller.errors import Stalled

STORE_HASH = "stagingpro.io/store-hash"
API_ORIGIN = "stagingpro.io/api-origin"
ROLE = "stagingpro.io/role"
ANNOTATIONS = (STORE_HASH, API_ORIGIN, ROLE)
ROLES = ("production", "sandbox")


class SecretData(dict[str, bytes]):
    """A Secret's decoded data, with the annotations its creator set."""

    def __init__(self, data: Mapping[str, bytes], annotations: Mapping[str, str] | None = None):
        super().__init__(data)
        self.annotations = dict(annotations or {})


class CredentialsNotBound(Stalled):
    """The Secret does not declare (by annotation) the store the environment points at. Retried
    every minute: annotating the Secret is enough to fix it."""

    reason = "CredentialsNotBound"
    retry_after = 60.0


class ProductionProtected(Stalled):
    """A write to a production store from anything but its own production environment."""

    reason = "ProductionProtected"


@dataclass(frozen=True)
class Binding:
    """Where a token may go: the store it is for, and that store's role."""

    secret: str
    store_hash: str
    api_origin: str
    role: str


def bind(
    secret: str,
    data: Mapping[str, bytes],
    *,
    store_hash: str,
    api_url: str,
    role: str,
    policy: AccessPolicy,
) -> Binding:
    """Check that the Secret `secret` (namespace/name) may serve an environment with this store and
    role, and that its API URL is allowed and reaches no forbidden address; raise before any request
    otherwise. The annotation at fault is named; the token never is."""
    base = policy.check_api_url(api_url)
    annotations: Mapping[str, str] = getattr(data, "annotations", {})
    missing = [a for a in ANNOTATIONS if not str(annotations.get(a, "")).strip()]
    if missing:
        raise CredentialsNotBound(
            f"Secret {secret} lacks the annotation{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}: annotate it with the store it is for (kubectl annotate secret)"
        )
    declared = Binding(
        secret,
        annotations[STORE_HASH].strip(),
        annotations[API_ORIGIN].strip(),
        annotations[ROLE].strip(),
    )
    if declared.role not in ROLES:
        raise CredentialsNotBound(
            f"Secret {secret}: annotation {ROLE} is {declared.role!r}, expected production or sandbox"
        )
    if declared.store_hash != store_hash:
        raise CredentialsNotBound(
            f"Secret {secret}: annotation {STORE_HASH} is {declared.store_hash!r}, "
            f"but the environment's store.hash is {store_hash!r}"
        )
    try:
        declared_origin = origin(declared.api_origin)
    except Stalled:
        declared_origin = declared.api_origin
    if declared_origin != origin(base):
        raise CredentialsNotBound(
            f"Secret {secret}: annotation {API_ORIGIN} is {declared.api_origin!r}, "
            f"but the environment's apiUrl origin is {origin(base)!r}"
        )
    if declared.role != role:
        raise ProductionProtected(
            f"Secret {secret}: annotation {ROLE} is {declared.role!r}, but the environment's role is "
            f"{role!r}; only a role: production environment may use a production token"
            if declared.role == "production"
            else f"Secret {secret}: annotation {ROLE} is {declared.role!r}, but the environment's "
            f"role is {role!r}"
        )
    check_host(urlsplit(base).hostname or "", f"apiUrl {origin(base)}")
    return Binding(secret, store_hash, origin(base), role)


def ensure_clone_target(target: Binding, source: Binding) -> None:
    """Refuse a clone into the very store it copies from (a sandbox Secret declared over the
    production store would otherwise let the clone overwrite production). Every other write to a
    production store is refused by `bind`: only its role: production environment gets its token."""
    if (source.api_origin, source.store_hash) == (target.api_origin, target.store_hash):
        raise ProductionProtected(
            f"cloneFrom: store {target.store_hash} is the source itself"
            + (" (declared production)" if source.role == "production" else "")
        )
