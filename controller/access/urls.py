"""Which URLs the operator may reach: API origins on an allow-list, no credentials inside URLs, no
path that leads to another store, no link-local or cloud metadata address, no local Git transport.

Every check raises a `Stalled` error whose message names the URL without any user:password part.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from controller.errors import Stalled

BIGCOMMERCE_API_ORIGIN = "https://api.bigcommerce.com"
ORIGINS_ENV = "STAGINGPRO_ALLOWED_API_ORIGINS"
_DEFAULT_PORTS = {"http": 80, "https": 443, "git": 9418, "ssh": 22}
_METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
# Link-local ranges (cloud metadata lives there: 169.254.169.254, fd00:ec2::254 is AWS's IPv6 one)
# and Alibaba Cloud's metadata address.
_FORBIDDEN_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32")
)
_REMOTE_GIT_SCHEMES = ("https", "http", "ssh", "git")
_SCP_LIKE = re.compile(r"^(?:[A-Za-z0-9._~-]+@)?(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(?!//)")


class UrlRefused(Stalled):
    """A URL that must not be used: credentials in it, a path to another store, a query."""

    reason = "UrlRefused"


class ApiOriginNotAllowed(Stalled):
    """The API origin is not on the operator's allow-list."""

    reason = "ApiOriginNotAllowed"


class AddressForbidden(Stalled):
    """The host is, or resolves to, a link-local or cloud metadata address."""

    reason = "AddressForbidden"


class LocalGitRefused(Stalled):
    """A Git URL that reads the operator's own filesystem or runs a local command."""

    reason = "LocalGitRefused"


def redact(url: str) -> str:
    """The URL without a user:password (or token@) part."""
    return re.sub(r"(?<=://)[^/@\s]*@", "", url)


def has_userinfo(url: str) -> bool:
    """Whether the URL carries a user name or password before its host."""
    return "@" in urlsplit(url).netloc


# For CRD validation (CEL): a URL whose authority carries a user:password, or any user for http(s).
GIT_URL_CREDENTIALS_RULE = (
    "!self.url.matches('^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@]*:[^/@]*@') && "
    "!self.url.matches('^[hH][tT][tT][pP][sS]?://[^/]*@')"
)


def git_url_has_credentials(url: str) -> bool:
    """Whether a Git URL carries a password, or any user name over http(s) (as the CEL rule)."""
    return bool(
        re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@]*:[^/@]*@", url)
        or re.match(r"^https?://[^/]*@", url, re.IGNORECASE)
    )


def origin(url: str) -> str:
    """`scheme://host[:port]`, lower-cased, without a default port."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        raise UrlRefused(f"{redact(url)}: invalid port") from None
    shown = f":{port}" if port is not None and port != _DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{shown}"


def api_base(url: str, what: str = "apiUrl") -> str:
    """The API URL, checked: http(s), no user:password, no query or fragment, and a path (a proxy's
    prefix at most) that cannot lead elsewhere: no `.`/`..` segments, no encoded slashes or dots,
    no `stores` segment. Returns it without a trailing slash."""
    shown = redact(url)
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UrlRefused(f"{what} {shown!r}: expected http(s)://host[:port]")
    if has_userinfo(url):
        raise UrlRefused(
            f"{what} {shown!r}: credentials in a URL are refused; the token belongs in a Secret"
        )
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise UrlRefused(f"{what} {shown!r}: a query or fragment is not allowed")
    segments = parts.path.split("/")
    for segment in segments:
        decoded = unquote(segment)
        if decoded in (".", "..") or "/" in decoded or "\\" in decoded or decoded != segment:
            raise UrlRefused(f"{what} {shown!r}: path segment {segment!r} is not allowed")
        if decoded.lower() == "stores":
            raise UrlRefused(
                f"{what} {shown!r}: give the API origin; the store path is appended from the hash"
            )
    origin(url)  # a bad port is refused here
    return url.strip().rstrip("/")


@dataclass(frozen=True)
class AccessPolicy:
    """What the operator (or `stagingpro run`) may reach. The CLI's plan/apply/capture, where the
    person holds the token and names the URL, use `AccessPolicy.personal()`."""

    allowed_origins: frozenset[str] = field(
        default_factory=lambda: frozenset({BIGCOMMERCE_API_ORIGIN})
    )
    allow_local_git: bool = False
    check_origins: bool = True

    @classmethod
    def configured(
        cls,
        origins: Iterable[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        allow_local_git: bool = False,
    ) -> AccessPolicy:
        """From `--allowed-api-origin` flags and `STAGINGPRO_ALLOWED_API_ORIGINS` (comma-separated)
        together; when neither names any, only BigCommerce's API origin."""
        env = os.environ if env is None else env
        named = [*origins, *env.get(ORIGINS_ENV, "").split(",")]
        allowed = set()
        for item in (o.strip() for o in named):
            if not item:
                continue
            parts = urlsplit(item)
            if parts.scheme not in ("http", "https") or not parts.hostname or has_userinfo(item):
                raise ValueError(
                    f"allowed API origin {redact(item)!r}: expected scheme://host[:port]"
                )
            if parts.path.strip("/") or parts.query or parts.fragment:
                raise ValueError(f"allowed API origin {item!r}: an origin has no path")
            allowed.add(origin(item))
        return cls(
            allowed_origins=frozenset(allowed or {BIGCOMMERCE_API_ORIGIN}),
            allow_local_git=allow_local_git,
        )

    @classmethod
    def personal(cls) -> AccessPolicy:
        """For commands where the person names the URL and holds the token: any origin, local Git."""
        return cls(check_origins=False, allow_local_git=True)

    def check_api_url(self, url: str, what: str = "apiUrl") -> str:
        """The checked API URL (`api_base`), refused unless its origin is allowed."""
        base = api_base(url, what)
        if self.check_origins and origin(base) not in self.allowed_origins:
            raise ApiOriginNotAllowed(
                f"{what} origin {origin(base)} is not allowed (allowed: "
                f"{', '.join(sorted(self.allowed_origins))}; see --allowed-api-origin)"
            )
        return base

    def check_git_url(self, url: str) -> None:
        """Refuse local Git transports (a path, file://, ext::, fd:: or any other `name::`) unless
        allowed, and URLs that carry credentials; remote hosts are checked with `check_host`."""
        shown = redact(url)
        text = url.strip()
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if re.match(r"^[A-Za-z0-9+.-]+::", text):
            raise LocalGitRefused(
                f"Git URL {shown!r}: transport helpers (ext::, fd::, ...) run local commands; refused"
            )
        if git_url_has_credentials(text):
            raise UrlRefused(
                f"Git URL {shown!r}: credentials in a URL are refused; use the secretRef"
            )
        if scheme in _REMOTE_GIT_SCHEMES and parts.hostname:
            check_host(parts.hostname, f"Git URL {shown!r}")
            return
        scp = _SCP_LIKE.match(text)
        if scp and "::" not in text and not text.startswith(("/", ".")):
            check_host(scp["host"].strip("[]"), f"Git URL {shown!r}")
            return
        if not self.allow_local_git:
            raise LocalGitRefused(
                f"Git URL {shown!r}: local paths, file:// and other local transports are refused; "
                "use https://, ssh:// or git://"
            )

    def git_protocols(self) -> str:
        """The value of GIT_ALLOW_PROTOCOL: git itself refuses every other transport."""
        return ":".join([*_REMOTE_GIT_SCHEMES, *(["file"] if self.allow_local_git else [])])


def forbidden_address(address: str) -> bool:
    """Whether an IP address is link-local or a cloud metadata address (also IPv4-mapped)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _FORBIDDEN_NETWORKS)


def check_host(host: str, what: str) -> None:
    """Refuse a metadata host name, or a host that is or resolves to a forbidden address. A name
    that does not resolve passes: the request itself will fail and say so."""
    name = host.strip("[]").rstrip(".").lower()
    if name in _METADATA_HOSTS or forbidden_address(name):
        raise AddressForbidden(f"{what}: {name} is a link-local or metadata address")
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return
    for info in infos:
        address = str(info[4][0])
        if forbidden_address(address):
            raise AddressForbidden(
                f"{what}: {name} resolves to {address}, a link-local or metadata address"
            )
