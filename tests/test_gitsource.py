"""Git sources against real repositories: local bare repositories, git:// and HTTP on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from controller.access import AccessPolicy
from controller.catalog.files import load_directory
from controller.gitsource import (
    AuthenticationFailed,
    GitCache,
    GitCredentials,
    PathNotFound,
    RefNotFound,
    RepositoryUnreachable,
    SourceTooLarge,
)
from tests.support.gitservers import GitDaemon, GitHttp, Remote

BRANDS = "- name: Acme\n"


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    repo = Remote(tmp_path / "remotes")
    repo.commit(
        {"catalog/brands.yaml": BRANDS, "catalog/products.jsonl": "", "README.md": "hi\n"}, "first"
    )
    return repo


@pytest.fixture
def cache(tmp_path: Path) -> GitCache:
    # These tests read local repositories, as the CLI may when asked to; the operator's own
    # refusal of local transports is tested in test_access.py.
    return GitCache(tmp_path / "cache", timeout=20, policy=AccessPolicy.personal())


def test_a_branch_resolves_to_its_commit_and_the_path_reads_as_a_catalog(
    remote: Remote, cache: GitCache
) -> None:
    revision = cache.resolve(remote.url, "main")
    assert revision.sha == remote.head()
    assert cache.read(remote.url, revision.sha, "catalog") == {
        "brands.yaml": BRANDS.encode(),
        "products.jsonl": b"",
    }
    with cache.materialize(remote.url, revision.sha, "./catalog/") as directory:
        assert [b.name for b in (load_directory(directory).brands or {}).values()] == ["Acme"]


def test_tags_and_commits_resolve_too(remote: Remote, cache: GitCache) -> None:
    first = remote.head()
    remote.work.git.tag("v1")
    remote.work.git.tag(
        "-a",
        "v1-annotated",
        "-m",
        "release",
        env={**os.environ, "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@t"},
    )
    remote.work.git.push("-q", "origin", "--tags")
    second = remote.commit({"catalog/brands.yaml": "- name: Zeta\n"})
    assert cache.resolve(remote.url, "v1").sha == first
    assert cache.resolve(remote.url, "v1-annotated").sha == first
    assert cache.resolve(remote.url, first).sha == first
    assert cache.resolve(remote.url, first[:10]).sha == first
    assert cache.resolve(remote.url, "main").sha == second


def test_a_force_pushed_branch_moves_and_old_revisions_stay_readable(
    remote: Remote, cache: GitCache
) -> None:
    old = cache.resolve(remote.url, "main").sha
    remote.work.git.reset("--hard", "HEAD")
    remote.work.git.commit(
        "--amend",
        "-q",
        "-m",
        "rewritten",
        env={**os.environ, "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@t"},
    )
    remote.work.git.push("-q", "-f", "origin", "HEAD:refs/heads/main")
    new = cache.resolve(remote.url, "main").sha
    assert new != old
    assert cache.read(remote.url, old, "catalog")["brands.yaml"] == BRANDS.encode()


def test_a_cached_commit_needs_no_network(remote: Remote, cache: GitCache, tmp_path: Path) -> None:
    sha = cache.resolve(remote.url, "main").sha
    remote.bare_path.rename(tmp_path / "gone.git")
    assert cache.resolve(remote.url, sha).sha == sha
    with pytest.raises(RepositoryUnreachable):
        cache.resolve(remote.url, "main")


def test_unknown_refs_name_the_branches_there_are(remote: Remote, cache: GitCache) -> None:
    with pytest.raises(RefNotFound, match=r"no branch, tag or commit 'release' \(branches: main\)"):
        cache.resolve(remote.url, "release")
    with pytest.raises(RefNotFound):
        cache.resolve(remote.url, "0" * 40)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside", "leaves the repository"),
        ("/etc", "must be relative"),
        ("catalog/../../x", "leaves the repository"),
        ("nowhere", "no path 'nowhere'"),
        ("README.md", "is not a directory"),
    ],
)
def test_paths_are_confined_to_the_repository(
    remote: Remote, cache: GitCache, path: str, message: str
) -> None:
    sha = cache.resolve(remote.url, "main").sha
    with pytest.raises(PathNotFound, match=message):
        cache.read(remote.url, sha, path)


def test_symlinks_are_never_followed(remote: Remote, cache: GitCache) -> None:
    root = Path(remote.work.working_tree_dir or ".")
    (root / "catalog" / "secrets.yaml").symlink_to("/etc/passwd")
    sha = remote.commit({}, "add a link")
    with pytest.raises(PathNotFound, match="is a symlink"):
        cache.read(remote.url, cache.resolve(remote.url, "main").sha, "catalog")
    assert sha == remote.head()


def test_files_over_the_limit_are_refused(remote: Remote, tmp_path: Path) -> None:
    remote.commit({"catalog/products.jsonl": "x" * 5000})
    small = GitCache(tmp_path / "small", max_file_bytes=1000, policy=AccessPolicy.personal())
    with pytest.raises(SourceTooLarge, match=r"products\.jsonl"):
        small.read(remote.url, small.resolve(remote.url, "main").sha, "catalog")


def test_an_unreachable_repository_is_named(cache: GitCache, tmp_path: Path) -> None:
    with pytest.raises(RepositoryUnreachable, match="nothing-here"):
        cache.resolve(str(tmp_path / "nothing-here.git"), "main")
    with pytest.raises(RepositoryUnreachable):
        cache.resolve("git://127.0.0.1:9/closed", "main")


def test_concurrent_readers_of_different_revisions_do_not_disturb_each_other(
    remote: Remote, cache: GitCache
) -> None:
    shas = [remote.commit({"catalog/brands.yaml": f"- name: Brand {i}\n"}) for i in range(4)]

    def read(i: int) -> bytes:
        sha = cache.resolve(remote.url, shas[i % 4]).sha
        return cache.read(remote.url, sha, "catalog")["brands.yaml"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(read, range(32)))
    assert results == [f"- name: Brand {i % 4}\n".encode() for i in range(32)]


@pytest.fixture
def daemon(remote: Remote) -> Iterator[GitDaemon]:
    server = GitDaemon(remote.bare_path.parent)
    yield server
    server.stop()


def test_a_repository_served_by_git_daemon(
    remote: Remote, daemon: GitDaemon, cache: GitCache
) -> None:
    url = daemon.url("catalog.git")
    revision = cache.resolve(url, "main")
    assert revision.sha == remote.head()
    assert "brands.yaml" in cache.read(url, revision.sha, "catalog")


def test_commits_are_pushed_and_unchanged_content_makes_no_commit(
    remote: Remote, daemon: GitDaemon, cache: GitCache
) -> None:
    url = daemon.url("catalog.git")

    def write(directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "brands.yaml").write_text("- name: Captured\n")

    sha = cache.commit(
        url, "staged", "catalog", write, "capture sandbox", author=("Bot", "bot@example.test")
    )
    assert sha is not None
    assert remote.head("staged") == sha
    commit = remote.bare.commit(sha)
    assert (commit.message.strip(), commit.author.name) == ("capture sandbox", "Bot")
    assert commit.tree["README.md"]  # the rest of the branch is kept
    assert cache.commit(url, "staged", "catalog", write, "again") is None
    assert cache.commit(url, "main", "catalog", write, "to main") is not None
    assert remote.bare.commit(remote.head("main")).tree["catalog"][
        "brands.yaml"
    ].data_stream.read() == (b"- name: Captured\n")


@pytest.fixture
def http(remote: Remote) -> Iterator[GitHttp]:
    server = GitHttp(remote.bare_path.parent, token="s3cret-token-123")
    yield server
    server.stop()


def test_https_credentials_are_used_and_never_stored(
    remote: Remote, http: GitHttp, cache: GitCache
) -> None:
    url = http.url("catalog.git")
    revision = cache.resolve(url, "main", GitCredentials(token="s3cret-token-123", username="ci"))
    assert revision.sha == remote.head()
    stored = "".join(p.read_text(errors="ignore") for p in cache.root.rglob("config"))
    assert "s3cret" not in stored


@pytest.mark.parametrize(
    "credentials", [None, GitCredentials(token="wrong-token-456", username="ci")]
)
def test_wrong_or_missing_credentials_fail_authentication(
    http: GitHttp, cache: GitCache, credentials: GitCredentials | None
) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        cache.resolve(http.url("catalog.git"), "main", credentials)
    assert "wrong-token" not in str(caught.value)
    assert "wrong-token" not in repr(credentials)
