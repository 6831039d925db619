"""Git repositories as sources of catalogs (and targets of captures), through gitpython.

One bare cache repository per URL (keyed by a hash of the URL) is reused across reconciles. A
branch or tag is resolved with `ls-remote` (one round trip; nothing is fetched when the commit is
already cached), and only that commit is fetched, shallow. Files are read from the object database at
a commit, never from a checkout, so concurrent readers of different revisions never disturb each other
and nothing can follow a symlink out of the repository. Credentials reach git only through the
environment of the one command that needs them: never the cache's config, a log line or an error.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import git

from controller.access.urls import AccessPolicy, redact
from controller.gitsource.errors import (
    AuthenticationFailed,
    PathNotFound,
    PushRejected,
    RefNotFound,
    RepositoryUnreachable,
    SourceTooLarge,
)

SHA = re.compile(r"^[0-9a-f]{40}$")
SHORT_SHA = re.compile(r"^[0-9a-f]{7,39}$")
_ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$STAGINGPRO_GIT_USERNAME" ;;
  *) printf '%s\\n' "$STAGINGPRO_GIT_PASSWORD" ;;
esac
"""
_AUTH_MARKERS = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "permission denied",
    "host key verification failed",
    "403",
    "401",
    "invalid username or password",
)
_REF_MARKERS = (
    "couldn't find remote ref",
    "not our ref",
    "unadvertised object",
    "no such remote ref",
)


@dataclass(frozen=True)
class GitCredentials:
    """HTTPS token (and optional user name) or SSH private key with known_hosts, from a Secret."""

    token: str | None = None
    username: str | None = None
    ssh_key: str | None = None
    known_hosts: str | None = None

    def __repr__(self) -> str:
        kinds = [k for k in ("token", "ssh_key") if getattr(self, k)]
        return f"GitCredentials({', '.join(kinds) or 'none'})"

    @classmethod
    def from_secret(cls, data: Mapping[str, str | bytes]) -> GitCredentials:
        """From a Secret's data: `token` or `password` (+ `username`), or `identity` + `known_hosts`."""

        def text(key: str) -> str | None:
            value = data.get(key)
            if value is None:
                return None
            return value.decode() if isinstance(value, bytes) else value

        return cls(
            token=text("token") or text("password"),
            username=text("username"),
            ssh_key=text("identity"),
            known_hosts=text("known_hosts"),
        )

    def secrets(self) -> list[str]:
        """Every secret value, to scrub from messages."""
        return [s for s in (self.token, self.ssh_key) if s]


@dataclass(frozen=True)
class Revision:
    """A resolved source: the URL (credentials removed), the ref asked for and its commit."""

    url: str
    ref: str
    sha: str


redact_url = redact  # the URL without any user:password part


def safe_path(path: str) -> str:
    """A repository-relative path, or `PathNotFound` if it is absolute or leaves the repository."""
    raw = path.strip()
    if raw.startswith("/") or "\\" in raw:
        raise PathNotFound(f"path {path!r} must be relative to the repository")
    parts = [p for p in PurePosixPath(raw).parts if p not in ("", ".")]
    if ".." in parts:
        raise PathNotFound(f"path {path!r} leaves the repository")
    return "/".join(parts)


class GitCache:
    """A directory of cached repositories, safe for concurrent use by threads and processes."""

    def __init__(
        self,
        root: Path,
        *,
        timeout: float = 120.0,
        max_repo_bytes: int = 2 * 2**30,
        max_file_bytes: int = 512 * 2**20,
        policy: AccessPolicy | None = None,
    ):
        self.root = root
        self.policy = policy or AccessPolicy()
        self.timeout = timeout
        self.max_repo_bytes = max_repo_bytes
        self.max_file_bytes = max_file_bytes
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._scopes: dict[str, GitCache] = {}
        root.mkdir(parents=True, exist_ok=True)

    def scoped(self, namespace: str) -> GitCache:
        """The cache of one namespace: what one namespace fetched (with its credentials) is never
        read by another."""
        with self._locks_guard:
            found = self._scopes.get(namespace)
            if found is None:
                found = self._scopes[namespace] = GitCache(
                    self.root / "namespaces" / hashlib.sha256(namespace.encode()).hexdigest()[:16],
                    timeout=self.timeout,
                    max_repo_bytes=self.max_repo_bytes,
                    max_file_bytes=self.max_file_bytes,
                    policy=self.policy,
                )
            return found

    # ---- plumbing ---------------------------------------------------------------------------------

    def _key(self, url: str) -> str:
        return hashlib.sha256(redact_url(url).encode()).hexdigest()[:32]

    @contextlib.contextmanager
    def _locked(self, url: str) -> Iterator[None]:
        self.policy.check_git_url(url)  # before any git command touches it
        key = self._key(url)
        with self._locks_guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock, open(self.root / f"{key}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _bare(self, url: str) -> git.Repo:
        path = self.root / f"{self._key(url)}.git"
        if not path.exists():
            return git.Repo.init(path, bare=True)
        return git.Repo(path)

    @contextlib.contextmanager
    def _env(self, credentials: GitCredentials | None) -> Iterator[dict[str, str]]:
        """The environment of one git command: no prompts, no user config, credentials only here."""
        env = {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_HTTP_LOW_SPEED_LIMIT": "1000",
            "GIT_HTTP_LOW_SPEED_TIME": str(int(self.timeout)),
            "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes",
            # git itself refuses other transports (ext::, fd::, file:// unless allowed) ...
            "GIT_ALLOW_PROTOCOL": self.policy.git_protocols(),
            # ... and never follows an HTTP redirect, which would take the credentials along.
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.followRedirects",
            "GIT_CONFIG_VALUE_0": "false",
        }
        with tempfile.TemporaryDirectory(prefix="stagingpro-git-") as private:
            os.chmod(private, 0o700)
            if credentials and credentials.token:
                askpass = Path(private) / "askpass"
                askpass.write_text(_ASKPASS)
                askpass.chmod(stat.S_IRWXU)
                env.update(
                    GIT_ASKPASS=str(askpass),
                    STAGINGPRO_GIT_USERNAME=credentials.username or "x-access-token",
                    STAGINGPRO_GIT_PASSWORD=credentials.token,
                )
            if credentials and credentials.ssh_key:
                key = Path(private) / "identity"
                key.write_text(credentials.ssh_key.rstrip("\n") + "\n")
                key.chmod(0o600)
                known = Path(private) / "known_hosts"
                known.write_text(credentials.known_hosts or "")
                env["GIT_SSH_COMMAND"] = (
                    f"ssh -i {key} -o IdentitiesOnly=yes -o BatchMode=yes "
                    f"-o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes"
                )
            yield env

    def _run(
        self, repo: git.Repo, args: list[str], url: str, credentials: GitCredentials | None
    ) -> str:
        with self._env(credentials) as env:
            try:
                output: str = repo.git.execute(
                    ["git", *args],
                    env=env,
                    kill_after_timeout=self.timeout,
                    with_extended_output=False,
                )
                return output
            except git.GitCommandError as error:
                raise self._classify(error, url, credentials) from None

    def _classify(
        self, error: git.GitCommandError, url: str, credentials: GitCredentials | None
    ) -> Exception:
        stderr = str(error.stderr or "")
        for secret in credentials.secrets() if credentials else []:
            stderr = stderr.replace(secret, "********")
        stderr = redact_url(stderr.replace(url, redact_url(url)))
        detail = " ".join(line.strip() for line in stderr.splitlines() if line.strip())[:300]
        lowered = stderr.lower()
        where = redact_url(url)
        if error.status in (-9, "-9") or ("timed out" in lowered and "connection" not in lowered):
            return RepositoryUnreachable(f"{where}: git timed out after {self.timeout:.0f}s")
        if any(m in lowered for m in _AUTH_MARKERS):
            return AuthenticationFailed(f"{where}: authentication failed ({detail})")
        if any(m in lowered for m in _REF_MARKERS):
            return RefNotFound(f"{where}: {detail}")
        return RepositoryUnreachable(f"{where}: {detail or 'git failed'}")

    # ---- reading ----------------------------------------------------------------------------------

    def resolve(self, url: str, ref: str, credentials: GitCredentials | None = None) -> Revision:
        """Resolve a branch, tag or commit to a commit SHA and make sure that commit is cached."""
        with self._locked(url):
            repo = self._bare(url)
            if SHA.match(ref):
                if not self._has(repo, ref):
                    self._fetch_commit(repo, url, ref, credentials)
                return Revision(redact_url(url), ref, ref)
            listing = self._run(repo, ["ls-remote", url], url, credentials)
            refs: dict[str, str] = {}
            for line in listing.splitlines():
                sha_text, _, ref_name = line.partition("\t")
                if ref_name:
                    refs[ref_name] = sha_text
            name = next(
                (
                    n
                    for n in (f"refs/tags/{ref}^{{}}", f"refs/tags/{ref}", f"refs/heads/{ref}", ref)
                    if n in refs
                ),
                None,
            )
            if name is None:
                if SHORT_SHA.match(ref):
                    return Revision(
                        redact_url(url), ref, self._fetch_short(repo, url, ref, credentials)
                    )
                branches = sorted(
                    n.removeprefix("refs/heads/") for n in refs if n.startswith("refs/heads/")
                )
                raise RefNotFound(
                    f"{redact_url(url)}: no branch, tag or commit {ref!r} "
                    f"(branches: {', '.join(branches[:10]) or 'none'})"
                )
            sha = refs[name]
            if not self._has(repo, sha):
                fetched = name.removesuffix("^{}")
                self._run(
                    repo,
                    ["fetch", "--depth=1", "--no-tags", url, f"+{fetched}:refs/stagingpro/fetched"],
                    url,
                    credentials,
                )
                self._check_size(url)
            return Revision(redact_url(url), ref, sha)

    @staticmethod
    def _has(repo: git.Repo, sha: str) -> bool:
        try:
            repo.git.cat_file("-e", f"{sha}^{{commit}}")
        except git.GitCommandError:
            return False
        return True

    def _fetch_commit(
        self, repo: git.Repo, url: str, sha: str, credentials: GitCredentials | None
    ) -> None:
        try:
            self._run(repo, ["fetch", "--depth=1", "--no-tags", url, sha], url, credentials)
        except (RepositoryUnreachable, RefNotFound) as error:
            # Servers that refuse fetching a bare SHA: fetch everything and look for it.
            self._run(
                repo,
                ["fetch", "--no-tags", url, "+refs/heads/*:refs/stagingpro/heads/*"],
                url,
                credentials,
            )
            if not self._has(repo, sha):
                raise RefNotFound(f"{redact_url(url)}: no commit {sha}") from error
        self._check_size(url)

    def _fetch_short(
        self, repo: git.Repo, url: str, short: str, credentials: GitCredentials | None
    ) -> str:
        self._run(
            repo,
            ["fetch", "--no-tags", url, "+refs/heads/*:refs/stagingpro/heads/*"],
            url,
            credentials,
        )
        self._check_size(url)
        try:
            return str(repo.git.rev_parse("--verify", f"{short}^{{commit}}"))
        except git.GitCommandError:
            raise RefNotFound(f"{redact_url(url)}: no branch, tag or commit {short!r}") from None

    def _check_size(self, url: str) -> None:
        path = self.root / f"{self._key(url)}.git"
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        if size > self.max_repo_bytes:
            shutil.rmtree(path, ignore_errors=True)
            raise SourceTooLarge(
                f"{redact_url(url)}: repository is {size // 2**20} MiB, over the "
                f"{self.max_repo_bytes // 2**20} MiB limit"
            )

    def read(self, url: str, sha: str, path: str) -> dict[str, bytes]:
        """Every file under `path` at commit `sha` (names relative to `path`). Symlinks and files
        over the size limit are refused; nothing outside the repository can be reached."""
        relative = safe_path(path)
        self.policy.check_git_url(url)
        repo = self._bare(url)
        tree: Any = repo.commit(sha).tree
        if relative:
            try:
                tree = tree / relative
            except KeyError:
                raise PathNotFound(f"{redact_url(url)}@{sha[:12]}: no path {relative!r}") from None
            if tree.type != "tree":
                raise PathNotFound(f"{redact_url(url)}@{sha[:12]}: {relative!r} is not a directory")
        files: dict[str, bytes] = {}
        for item in tree.traverse():
            if item.type != "blob":
                continue
            name = item.path[len(relative) + 1 :] if relative else item.path
            if stat.S_ISLNK(item.mode):
                raise PathNotFound(
                    f"{redact_url(url)}@{sha[:12]}: {item.path!r} is a symlink; links are not followed"
                )
            if item.size > self.max_file_bytes:
                raise SourceTooLarge(
                    f"{redact_url(url)}@{sha[:12]}: {item.path!r} is over "
                    f"{self.max_file_bytes // 2**20} MiB"
                )
            files[name] = item.data_stream.read()
        return files

    @contextlib.contextmanager
    def materialize(self, url: str, sha: str, path: str) -> Iterator[Path]:
        """The files under `path` at `sha`, written into a private temporary directory."""
        files = self.read(url, sha, path)
        with tempfile.TemporaryDirectory(prefix="stagingpro-src-") as tmp:
            for name, data in files.items():
                target = Path(tmp) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            yield Path(tmp)

    # ---- writing (captures) -----------------------------------------------------------------------

    def commit(
        self,
        url: str,
        branch: str,
        path: str,
        write: Callable[[Path], object],
        message: str,
        *,
        credentials: GitCredentials | None = None,
        author: tuple[str, str] = ("StagingPro", "stagingpro@localhost"),
        committer: tuple[str, str] | None = None,
        push: bool = True,
    ) -> str | None:
        """Write files with `write(directory)` into `path` on `branch`, commit and push. Returns the
        new commit, or None when nothing changed (no empty commits). A push that loses a race is
        retried once on top of the new tip."""
        relative = safe_path(path)
        committer = committer or author
        for attempt in range(2):
            with self._locked(url):
                work = self.root / f"{self._key(url)}.work"
                repo = git.Repo.init(work) if not (work / ".git").exists() else git.Repo(work)
                heads = self._run(
                    repo,
                    ["ls-remote", "--symref", url, "HEAD", f"refs/heads/{branch}"],
                    url,
                    credentials,
                )
                exists = f"refs/heads/{branch}" in heads
                default = re.search(r"^ref: (refs/heads/\S+)\s+HEAD", heads, re.MULTILINE)
                # A new branch starts from the default branch, so that its diff shows only the capture.
                base = f"refs/heads/{branch}" if exists else (default.group(1) if default else None)
                if base is not None:
                    self._run(
                        repo,
                        ["fetch", "--depth=1", "--no-tags", url, f"+{base}:refs/stagingpro/tip"],
                        url,
                        credentials,
                    )
                    repo.git.checkout("-f", "-B", branch, "refs/stagingpro/tip")
                else:
                    repo.git.checkout("-f", "--orphan", branch)
                    with contextlib.suppress(git.GitCommandError):
                        repo.git.rm("-rfq", "--cached", ".")
                repo.git.clean("-fdx")
                target = work / relative if relative else work
                write(target)
                repo.git.add("-A", "--", relative or ".")
                if base is not None and not repo.git.status("--porcelain", "--", relative or "."):
                    return None
                env = {
                    "GIT_AUTHOR_NAME": author[0],
                    "GIT_AUTHOR_EMAIL": author[1],
                    "GIT_COMMITTER_NAME": committer[0],
                    "GIT_COMMITTER_EMAIL": committer[1],
                }
                repo.git.execute(["git", "commit", "-q", "-m", message], env={**os.environ, **env})
                sha = str(repo.head.commit.hexsha)
                if not push:
                    return sha
                try:
                    self._run(repo, ["push", url, f"HEAD:refs/heads/{branch}"], url, credentials)
                    return sha
                except RepositoryUnreachable as error:
                    text = str(error).lower()
                    if (
                        "rejected" not in text
                        and "fetch first" not in text
                        and "non-fast-forward" not in text
                    ):
                        raise
                    if attempt == 1:
                        raise PushRejected(
                            f"{redact_url(url)}: push to {branch} was rejected twice"
                        ) from error
        return None
