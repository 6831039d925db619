"""Access control: a store token reaches only the store its Secret declares, API origins are on an
allow-list, production is protected by role, Git reads nothing local, nothing goes to link-local or
metadata addresses. Each refusal is proven by a recording server that saw no request."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from controller.access import (
    AccessPolicy,
    AddressForbidden,
    ApiOriginNotAllowed,
    LocalGitRefused,
    UrlRefused,
    api_base,
    origin,
)
from controller.access.urls import check_host, forbidden_address
from controller.emulator import Emulator
from controller.errors import StagingProError
from controller.gitsource import GitCache
from controller.standalone import FileWorld, Loop, services_for
from controller.stores import BigCommerceStore, RetryPolicy, Token
from tests.conftest import PROD_TOKEN, ROOT
from tests.support.catcher import Catcher, echo, hang_up, redirect
from tests.support.gitservers import GitHttp, Remote
from tests.support.manifests import access_to, binding, write_secret

NS = "shop"
API = "stagingpro.io/v1alpha1"


class Scene:
    """Manifests and Secrets in files, reconciled by the standalone loop (the operator's
    reconcilers), with the access policy the test gives."""

    def __init__(self, root: Path, access: AccessPolicy):
        self.root, self.access = root, access
        self.docs: list[dict[str, Any]] = []
        (root / "m").mkdir(parents=True, exist_ok=True)
        (root / "s").mkdir(parents=True, exist_ok=True)

    def secret(
        self, name: str, token: str, annotations: dict[str, str], namespace: str = NS
    ) -> None:
        write_secret(
            self.root / "s",
            name,
            namespace,
            token,
            annotations=annotations,
        )

    def git_secret(self, name: str, token: str, namespace: str) -> None:
        (self.root / "s" / f"{namespace}-{name}.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": name, "namespace": namespace},
                    "stringData": {"username": "ci", "token": token},
                }
            )
        )

    def add(self, kind: str, name: str, spec: dict[str, Any], namespace: str = NS) -> None:
        self.docs.append(
            {
                "apiVersion": API,
                "kind": kind,
                "metadata": {"name": name, "namespace": namespace},
                "spec": spec,
            }
        )

    def environment(
        self, name: str, role: str, store_hash: str, api_url: str, secret: str, **spec: Any
    ) -> None:
        self.add(
            "StoreEnvironment",
            name,
            {
                "role": role,
                "store": {
                    "hash": store_hash,
                    "apiUrl": api_url,
                    "credentialsSecretRef": {"name": secret, "key": "token"},
                },
                "syncPolicy": {"mode": "sync", "prune": True, "interval": "1m"},
                **spec,
            },
        )

    async def reconcile(self, passes: int = 1) -> FileWorld:
        (self.root / "m" / "all.yaml").write_text(yaml.safe_dump_all(self.docs))
        world = FileWorld(self.root / "m", self.root / "state", self.root / "s")
        services = services_for(world, self.root / "cache", access=self.access)
        services.stores.retry = RetryPolicy(attempts=2, backoff=0.01)  # failures come fast
        loop = Loop(world, services)
        for _ in range(passes):
            await loop.settle()  # until nothing is due at once: what waited on another had its turn
        return world

    def ready(self, world: FileWorld, kind: str, name: str, namespace: str = NS) -> dict[str, Any]:
        status = world.status.get((kind, namespace, name), {})
        return next(c for c in status.get("conditions", []) if c["type"] == "Ready")

    def events(self) -> str:
        path = self.root / "state" / "events.jsonl"
        return path.read_text() if path.exists() else ""


@pytest.fixture
def catcher() -> Any:
    with Catcher() as server:
        yield server


# ---- credentials bound to their store -------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "reason", "expected"),
    [
        ("origin not allowed", "ApiOriginNotAllowed", "is not allowed (allowed: "),
        ("origin mismatch", "CredentialsNotBound", "annotation stagingpro.io/api-origin is"),
        ("hash mismatch", "CredentialsNotBound", "annotation stagingpro.io/store-hash is"),
        ("sandbox over production", "ProductionProtected", "annotation stagingpro.io/role is"),
        ("unannotated", "CredentialsNotBound", "lacks the annotations stagingpro.io/store-hash"),
        ("unknown role", "CredentialsNotBound", "annotation stagingpro.io/role is 'staging'"),
    ],
)
async def test_a_token_goes_nowhere_its_secret_does_not_declare(
    catcher: Catcher, tmp_path: Path, case: str, reason: str, expected: str
) -> None:
    # The production token's Secret, bound to the real store (served here by the emulator's
    # address); the environment points the token at a server of someone's own (the catcher).
    real = "http://127.0.0.1:1"
    annotations = {
        "origin not allowed": binding("production", catcher.url, "production"),
        "origin mismatch": binding("production", real, "production"),
        "hash mismatch": binding("production", catcher.url, "production"),
        "sandbox over production": binding("production", catcher.url, "production"),
        "unannotated": {},
        "unknown role": {
            **binding("production", catcher.url, "production"),
            "stagingpro.io/role": "staging",
        },
    }[case]
    allowed = [real] if case == "origin not allowed" else [real, catcher.url]
    scene = Scene(tmp_path, AccessPolicy.configured(allowed, env={}))
    scene.secret("production-store-token", PROD_TOKEN, annotations)
    scene.environment(
        "thief",
        "sandbox" if case == "sandbox over production" else "production",
        "other" if case == "hash mismatch" else "production",
        catcher.url,
        "production-store-token",
    )
    world = await scene.reconcile()
    ready = scene.ready(world, "StoreEnvironment", "thief")
    assert (ready["status"], ready["reason"]) == ("False", reason)
    assert expected in ready["message"]
    if reason != "ApiOriginNotAllowed":
        assert "Secret shop/production-store-token" in ready["message"]
    stalled = next(
        c
        for c in world.status[("StoreEnvironment", NS, "thief")]["conditions"]
        if c["type"] == "Stalled"
    )
    assert stalled["status"] == "True"
    assert catcher.requests == []
    assert PROD_TOKEN not in json.dumps(list(world.status.values())) + scene.events()


async def test_a_bound_token_reaches_its_store(emulator: Emulator, tmp_path: Path) -> None:
    scene = Scene(tmp_path, access_to(emulator.url))
    scene.secret(
        "production-store-token", PROD_TOKEN, binding("production", emulator.url, "production")
    )
    scene.environment(
        "production", "production", "production", emulator.url + "/", "production-store-token"
    )
    world = await scene.reconcile()
    assert scene.ready(world, "StoreEnvironment", "production")["status"] == "True"


async def test_by_default_only_bigcommerce_is_allowed(catcher: Catcher, tmp_path: Path) -> None:
    policy = AccessPolicy.configured(env={})
    assert policy.allowed_origins == {"https://api.bigcommerce.com"}
    scene = Scene(tmp_path, policy)
    scene.secret("tok", PROD_TOKEN, binding("production", catcher.url, "production"))
    scene.environment("e", "production", "production", catcher.url, "tok")
    world = await scene.reconcile()
    ready = scene.ready(world, "StoreEnvironment", "e")
    assert ready["reason"] == "ApiOriginNotAllowed"
    assert catcher.requests == []


def test_the_allow_list_comes_from_flags_and_the_environment() -> None:
    policy = AccessPolicy.configured(
        ["http://127.0.0.1:8765/"],
        env={
            "STAGINGPRO_ALLOWED_API_ORIGINS": "https://API.bigcommerce.com:443, https://proxy.test:8443"
        },
    )
    assert policy.allowed_origins == {
        "http://127.0.0.1:8765",
        "https://api.bigcommerce.com",
        "https://proxy.test:8443",
    }
    with pytest.raises(ValueError, match="an origin has no path"):
        AccessPolicy.configured(["https://proxy.test/stores/x"], env={})
    with pytest.raises(ValueError, match="expected scheme://host"):
        AccessPolicy.configured(["https://u:secret@proxy.test"], env={})


def test_the_operator_and_run_take_the_allow_list_flag() -> None:
    for command in ("operator", "run"):
        result = subprocess.run(
            [sys.executable, "-m", "controller", command, "--help"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "--allowed-api-origin" in result.stdout
        assert "STAGINGPRO_ALLOWED_API_ORIGINS" in result.stdout


async def test_a_redirect_is_never_followed_with_the_token(tmp_path: Path) -> None:
    with Catcher() as elsewhere, Catcher(redirect("http://127.0.0.1:1")) as store:
        store.answer = redirect(elsewhere.url)
        scene = Scene(tmp_path, access_to(store.url))
        scene.secret("tok", PROD_TOKEN, binding("production", store.url, "production"))
        scene.environment("e", "production", "production", store.url, "tok")
        world = await scene.reconcile()
        ready = scene.ready(world, "StoreEnvironment", "e")
        assert ready["status"] == "False"
        assert "a redirect: not followed" in ready["message"]
        assert len(store.requests) == 1
        assert elsewhere.requests == []


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("http://user:hunter2@127.0.0.1:{port}", "credentials in a URL are refused"),
        ("http://127.0.0.1:{port}/stores/production/..", "store path is appended"),
        ("http://127.0.0.1:{port}/x/..", "path segment '..' is not allowed"),
        ("http://127.0.0.1:{port}/a%2F..", "is not allowed"),
        ("http://127.0.0.1:{port}?x=1", "a query or fragment is not allowed"),
    ],
)
async def test_api_urls_that_carry_credentials_or_lead_elsewhere_are_refused(
    catcher: Catcher, tmp_path: Path, api_url: str, expected: str
) -> None:
    port = catcher.url.rsplit(":", 1)[1]
    url = api_url.format(port=port)
    scene = Scene(tmp_path, access_to(catcher.url))
    scene.secret("tok", PROD_TOKEN, binding("production", catcher.url, "production"))
    scene.environment("e", "production", "production", url, "tok")
    world = await scene.reconcile()
    ready = scene.ready(world, "StoreEnvironment", "e")
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert "spec.store.apiUrl" in ready["message"]
    assert expected in ready["message"]
    assert "hunter2" not in json.dumps(list(world.status.values())) + scene.events()
    assert catcher.requests == []


def test_api_base_and_origin() -> None:
    assert origin("HTTPS://Api.BigCommerce.com:443/") == "https://api.bigcommerce.com"
    assert origin("http://[::1]:8080") == "http://[::1]:8080"
    assert api_base("https://proxy.test/bc/") == "https://proxy.test/bc"
    for bad in (
        "https://u:p@api.bigcommerce.com",
        "https://api.bigcommerce.com/stores/abc/..",
        "https://api.bigcommerce.com/%2e%2e",
        "https://api.bigcommerce.com/#x",
        "ftp://api.bigcommerce.com",
    ):
        with pytest.raises(UrlRefused) as refused:
            api_base(bad)
        assert ":p@" not in str(refused.value)


def test_the_cli_refuses_store_urls_with_credentials_and_never_prints_them(tmp_path: Path) -> None:
    env = {"STAGINGPRO_STORE_TOKEN": "t", "PATH": "/usr/bin:/bin"}
    for store, expected in (
        ("https://ci:hunter2@api.bigcommerce.com/stores/abc", "credentials in a URL are refused"),
        ("https://api.bigcommerce.com/x/../stores/prod", "path segment '..'"),
        ("https://api.bigcommerce.com/stores/abc/v3/stores/prod", "store path is appended"),
    ):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "controller",
                "plan",
                str(ROOT / "examples" / "catalog"),
                "--store",
                store,
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert result.returncode == 1, result.stderr
        assert expected in result.stderr
        assert "hunter2" not in result.stderr + result.stdout


# ---- production protected by role ------------------------------------------------------------------


async def test_a_clone_into_the_store_it_copies_from_is_refused(
    emulator: Emulator, tmp_path: Path
) -> None:
    # An administrator's mistake: a "sandbox" Secret for the production store's hash.
    scene = Scene(tmp_path, access_to(emulator.url))
    scene.secret(
        "production-store-token", PROD_TOKEN, binding("production", emulator.url, "production")
    )
    scene.secret("sandbox-store-token", PROD_TOKEN, binding("production", emulator.url, "sandbox"))
    scene.environment(
        "production",
        "production",
        "production",
        emulator.url,
        "production-store-token",
        syncPolicy={"mode": "observe"},
    )
    scene.environment(
        "sandbox",
        "sandbox",
        "production",
        emulator.url,
        "sandbox-store-token",
        cloneFrom={"name": "production"},
    )
    stats = emulator.control("production").stats
    world = await scene.reconcile()
    ready = scene.ready(world, "StoreEnvironment", "sandbox")
    assert (ready["status"], ready["reason"]) == ("False", "ProductionProtected")
    assert (
        "cloneFrom: store production is the source itself (declared production)" in ready["message"]
    )
    writes = [k for k in stats.requests if k[0] in ("POST", "PUT", "DELETE")]
    assert writes == []


async def test_a_deployment_onto_a_sandbox_over_production_is_refused(
    catcher: Catcher, tmp_path: Path
) -> None:
    scene = Scene(tmp_path, access_to(catcher.url))
    scene.secret(
        "production-store-token", PROD_TOKEN, binding("production", catcher.url, "production")
    )
    scene.environment("staging", "sandbox", "production", catcher.url, "production-store-token")
    scene.add(
        "CatalogSnapshot",
        "c",
        {
            "source": {
                "inline": {
                    "products": [
                        {"sku": "X", "name": "X", "type": "physical", "price": 1, "weight": 1}
                    ]
                }
            }
        },
    )
    scene.add(
        "StoreDeployment",
        "d",
        {
            "targets": ["staging"],
            "catalog": {"snapshotRef": {"name": "c"}},
            "approval": {"required": False},
        },
    )
    world = await scene.reconcile(passes=2)
    status = world.status[("StoreDeployment", NS, "d")]
    target = status["targets"][0]
    assert target["phase"] == "Failed"
    assert "ProductionProtected" in target["errors"][0]
    assert catcher.requests == []


# ---- Git: nothing local, no credentials in URLs, caches per namespace --------------------------------


@pytest.mark.parametrize("kind", ["path", "file://", "ext::", "relative"])
async def test_the_operator_reads_no_local_repository(tmp_path: Path, kind: str) -> None:
    remote = Remote(tmp_path / "remote")
    remote.commit({"catalog/brands.yaml": "- name: Secret Brand\n"})
    marker = tmp_path / "ran"
    url = {
        "path": remote.url,
        "file://": f"file://{remote.url}",
        "ext::": f"ext::sh -c touch% {marker}",
        "relative": "remote/catalog.git",
    }[kind]
    scene = Scene(tmp_path / "scene", AccessPolicy())
    scene.add(
        "CatalogSnapshot", "c", {"source": {"git": {"url": url, "ref": "main", "path": "catalog"}}}
    )
    world = await scene.reconcile()
    ready = scene.ready(world, "CatalogSnapshot", "c")
    assert (ready["status"], ready["reason"]) == ("False", "LocalGitRefused")
    status = world.status[("CatalogSnapshot", NS, "c")]
    assert "revision" not in status
    assert not marker.exists()
    assert not list((tmp_path / "scene" / "cache").rglob("*.git/objects/pack/*"))


def test_local_git_is_read_only_when_allowed_and_helpers_never(tmp_path: Path) -> None:
    remote = Remote(tmp_path / "remote")
    sha = remote.commit({"catalog/brands.yaml": "- name: B\n"})
    allowed = GitCache(tmp_path / "c1", policy=AccessPolicy(allow_local_git=True))
    assert allowed.resolve(remote.url, "main").sha == sha
    with pytest.raises(LocalGitRefused):
        allowed.resolve(f"ext::sh -c touch% {tmp_path / 'ran'}", "main")
    with pytest.raises(LocalGitRefused):
        GitCache(tmp_path / "c2").resolve(remote.url, "main")
    assert not (tmp_path / "ran").exists()


async def test_git_urls_with_credentials_are_refused_before_any_request(
    catcher: Catcher, tmp_path: Path
) -> None:
    host = catcher.url.removeprefix("http://")
    scene = Scene(tmp_path, AccessPolicy())
    scene.add(
        "CatalogSnapshot", "c", {"source": {"git": {"url": f"http://ci:hunter2@{host}/r.git"}}}
    )
    world = await scene.reconcile()
    ready = scene.ready(world, "CatalogSnapshot", "c")
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert "credentials in a URL are refused" in ready["message"]
    assert "hunter2" not in json.dumps(list(world.status.values())) + scene.events()
    with pytest.raises(UrlRefused) as refused:
        GitCache(tmp_path / "c").resolve(f"https://ci:hunter2@{host}/r.git", "main")
    assert "hunter2" not in str(refused.value)
    assert catcher.requests == []


async def test_git_follows_no_redirect(tmp_path: Path) -> None:
    with Catcher() as elsewhere, Catcher(redirect("http://127.0.0.1:1")) as first:
        first.answer = redirect(elsewhere.url)
        scene = Scene(tmp_path, AccessPolicy())
        scene.git_secret("git", "git-token-s3cr3t", NS)
        scene.add(
            "CatalogSnapshot",
            "c",
            {"source": {"git": {"url": f"{first.url}/r.git", "secretRef": {"name": "git"}}}},
        )
        world = await scene.reconcile()
        assert scene.ready(world, "CatalogSnapshot", "c")["status"] == "False"
        assert first.requests
        assert elsewhere.requests == []
        assert not first.saw("git-token-s3cr3t")


async def test_one_namespace_never_reads_what_another_fetched_with_its_credentials(
    tmp_path: Path,
) -> None:
    remote = Remote(tmp_path / "repos")
    sha = remote.commit({"catalog/brands.yaml": "- name: Private Brand\n"})
    server = GitHttp(tmp_path / "repos", "git-token-a")
    try:
        url = server.url("catalog.git")
        scene = Scene(tmp_path / "scene", AccessPolicy())
        scene.git_secret("git", "git-token-a", "team-a")
        scene.add(
            "CatalogSnapshot",
            "c",
            {
                "source": {
                    "git": {
                        "url": url,
                        "ref": "main",
                        "path": "catalog",
                        "secretRef": {"name": "git"},
                    }
                }
            },
            namespace="team-a",
        )
        # team-b knows the URL and the commit, but has no credentials.
        scene.add(
            "CatalogSnapshot",
            "c",
            {"source": {"git": {"url": url, "ref": sha, "path": "catalog"}}},
            namespace="team-b",
        )
        world = await scene.reconcile()
        assert world.status[("CatalogSnapshot", "team-a", "c")]["revision"] == sha
        ready = scene.ready(world, "CatalogSnapshot", "c", namespace="team-b")
        assert (ready["status"], ready["reason"]) == ("False", "AuthenticationFailed")
        assert "revision" not in world.status[("CatalogSnapshot", "team-b", "c")]
    finally:
        server.stop()


# ---- link-local and metadata addresses ---------------------------------------------------------------


def test_link_local_and_metadata_addresses_are_recognised() -> None:
    for address in (
        "169.254.169.254",
        "169.254.0.1",
        "fe80::1",
        "::ffff:169.254.169.254",
        "fd00:ec2::254",
        "100.100.100.200",
    ):
        assert forbidden_address(address), address
    for address in ("127.0.0.1", "10.0.0.1", "::1", "8.8.8.8"):
        assert not forbidden_address(address), address
    with pytest.raises(AddressForbidden):
        check_host("metadata.google.internal", "test")
    with pytest.raises(AddressForbidden):
        check_host("[fe80::1]", "test")
    check_host("localhost", "test")


@pytest.mark.parametrize(
    "api_url",
    ["http://169.254.169.254", "http://metadata.google.internal", "http://[fe80::a9fe:a9fe]:8080"],
)
async def test_no_request_to_a_metadata_address_from_an_api_url(
    tmp_path: Path, api_url: str
) -> None:
    scene = Scene(tmp_path, AccessPolicy.configured([api_url], env={}))
    scene.secret("tok", PROD_TOKEN, binding("production", api_url, "production"))
    scene.environment("e", "production", "production", api_url, "tok")
    world = await scene.reconcile()
    ready = scene.ready(world, "StoreEnvironment", "e")
    assert (ready["status"], ready["reason"]) == ("False", "AddressForbidden")
    assert "link-local or metadata address" in ready["message"]


async def test_no_git_fetch_from_a_metadata_address(tmp_path: Path) -> None:
    scene = Scene(tmp_path, AccessPolicy())
    scene.add(
        "CatalogSnapshot",
        "c",
        {"source": {"git": {"url": "http://169.254.169.254/latest/meta-data.git"}}},
    )
    world = await scene.reconcile()
    ready = scene.ready(world, "CatalogSnapshot", "c")
    assert (ready["status"], ready["reason"]) == ("False", "AddressForbidden")


def test_api_origin_allow_list_errors_are_stalled() -> None:
    policy = AccessPolicy.configured(["http://127.0.0.1:8765"], env={})
    with pytest.raises(ApiOriginNotAllowed):
        policy.check_api_url("http://127.0.0.1:8766")
    assert policy.check_api_url("http://127.0.0.1:8765/") == "http://127.0.0.1:8765"


# ---- the token never shows: error paths fuzzed ---------------------------------------------------------


def _slow(handler: Any) -> None:
    time.sleep(1.0)
    echo(200)(handler)


def _html_echo(handler: Any) -> None:
    body = f"<html>{dict(handler.headers)}</html>".encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


ERROR_ANSWERS = {
    "401 echoing headers": echo(401),
    "403 echoing headers": echo(403),
    "404 echoing headers": echo(404),
    "422 echoing headers": echo(422),
    "429 echoing headers": echo(429),
    "500 echoing headers": echo(500),
    "503 echoing headers": echo(503),
    "connection dropped": hang_up,
    "HTML echoing headers": _html_echo,
    "redirect": redirect("http://127.0.0.1:1"),
}
SECRET_TOKEN = "tok-Zq8r-SECRET-4411"
GIT_TOKEN = "git-Pv3m-SECRET-9902"


def _leaks(text: str) -> list[str]:
    return [t for t in (SECRET_TOKEN, GIT_TOKEN) if t in text]


async def test_no_error_path_puts_a_token_in_logs_status_events_or_exceptions(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    catchers = {name: Catcher(answer) for name, answer in ERROR_ANSWERS.items()}
    git_server = GitHttp(tmp_path / "repos", "the-right-git-token")
    Remote(tmp_path / "repos").commit({"catalog/brands.yaml": "- name: B\n"})
    try:
        scene = Scene(tmp_path / "scene", access_to(next(iter(catchers.values())).url))
        scene.access = AccessPolicy.configured([c.url for c in catchers.values()], env={})
        for i, catcher in enumerate(catchers.values()):
            scene.secret(f"tok{i}", SECRET_TOKEN, binding("store", catcher.url, "production"))
            scene.environment(f"e{i}", "production", "store", catcher.url, f"tok{i}")
        scene.git_secret("git", GIT_TOKEN, NS)
        for i, url in enumerate(
            (
                git_server.url("catalog.git"),  # refuses the token
                git_server.url("missing.git"),
                "http://127.0.0.1:1/closed.git",  # nothing listens
                catchers["500 echoing headers"].url + "/r.git",
            )
        ):
            scene.add(
                "CatalogSnapshot",
                f"git{i}",
                {"source": {"git": {"url": url, "path": "catalog", "secretRef": {"name": "git"}}}},
            )
        world = await scene.reconcile()
        # Every store was really asked, with the token: the errors below come from real answers.
        for name, catcher in catchers.items():
            assert catcher.saw(SECRET_TOKEN), name
        for i in range(len(catchers)):
            assert scene.ready(world, "StoreEnvironment", f"e{i}")["status"] == "False"
        for i in range(4):
            assert scene.ready(world, "CatalogSnapshot", f"git{i}")["status"] == "False"
        for key, value in world.status.items():
            assert _leaks(json.dumps(value)) == [], (key, value)
        assert _leaks(scene.events()) == []
        assert _leaks(caplog.text) == []
        # The errors themselves, raised by a client as a caller sees them (timeouts included).
        catchers["slow"] = Catcher(_slow)
        for name, catcher in catchers.items():
            async with BigCommerceStore(
                catcher.url,
                "store",
                Token(SECRET_TOKEN),
                timeout=0.3,
                retry=RetryPolicy(attempts=1, backoff=0.01),
            ) as store:
                # (a truncated body escapes as httpx.RemoteProtocolError: still no token in it)
                with pytest.raises((StagingProError, ValueError, httpx.HTTPError)) as raised:
                    await store.store_info()
                shown = "".join(traceback.format_exception(raised.value)) + repr(store)
                assert _leaks(shown) == [], name
        assert _leaks(caplog.text) == []
    finally:
        for catcher in catchers.values():
            catcher.stop()
        git_server.stop()


def test_stagingpro_run_reads_a_local_repository_only_with_the_flag(tmp_path: Path) -> None:
    remote = Remote(tmp_path / "remote")
    remote.commit({"catalog/brands.yaml": "- name: Local Brand\n"})
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "c.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": API,
                "kind": "CatalogSnapshot",
                "metadata": {"name": "c", "namespace": NS},
                "spec": {"source": {"git": {"url": remote.url, "path": "catalog"}}},
            }
        )
    )

    def run(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "controller", "run", str(manifests), "--once", *flags],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )

    refused = run("--state", str(tmp_path / "s1"))
    assert refused.returncode == 1
    assert "LocalGitRefused" in refused.stdout
    allowed = run("--state", str(tmp_path / "s2"), "--allow-local-git")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "1 brands" in allowed.stdout
