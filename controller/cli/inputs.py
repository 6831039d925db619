"""Reading what the CLI is pointed at: a store (URL or StoreEnvironment manifest + token), and a
desired catalog (directory, git+URL@REF#path, or CatalogSnapshot manifest)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pydantic
import yaml

from controller.access import AccessPolicy, UrlRefused, api_base, redact
from controller.access.urls import has_userinfo
from controller.api.resources import CatalogSnapshot, StoreEnvironment
from controller.catalog.files import describe_format, is_empty
from controller.cli.errors import CliError
from controller.engine.snapshots import (
    ResolvedCatalog,
    resolve_directory,
    resolve_git,
    resolve_inline,
)
from controller.gitsource import GitCache, GitCredentials

STORE_URL = re.compile(r"^(?P<origin>https?://[^\s]+?)/stores/(?P<hash>[a-z0-9]+)/?$")
GIT_SPEC = re.compile(r"^git\+(?P<url>.+?)(?:@(?P<ref>[^@#]+))?(?:#(?P<path>.*))?$")
TOKEN_ENV = "STAGINGPRO_STORE_TOKEN"
GIT_TOKEN_ENV = "STAGINGPRO_GIT_TOKEN"


@dataclass(frozen=True)
class StoreTarget:
    """Where a store is and how to authenticate (and its StoreEnvironment, when named by one)."""

    api_url: str
    store_hash: str
    token: str
    environment: StoreEnvironment | None = None

    @property
    def label(self) -> str:
        """What to call it in messages."""
        return f"{self.api_url}/stores/{self.store_hash}"


def _token(token_file: Path | None) -> str:
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise CliError(f"--token-file {token_file}: {error.strerror}") from None
        if not token:
            raise CliError(f"--token-file {token_file} is empty")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise CliError(
            f"no store token: set ${TOKEN_ENV} or pass --token-file (never the token itself)"
        )
    return token


def store_target(
    store: str | None, environment: Path | None, token_file: Path | None
) -> StoreTarget:
    """The store from `--store URL` or `--environment FILE`."""
    if (store is None) == (environment is None):
        raise CliError("name the store with exactly one of --store URL or --environment FILE")
    if store is not None:
        match = STORE_URL.match(store)
        if match is None or has_userinfo(store):
            raise CliError(
                f"--store {redact(store)!r}: "
                + (
                    f"credentials in a URL are refused; give the token in ${TOKEN_ENV} or --token-file"
                    if has_userinfo(store)
                    else "expected an API URL ending in /stores/HASH, "
                    "e.g. https://api.bigcommerce.com/stores/abc123"
                )
            )
        try:
            # The part before /stores/HASH may not lead to another store (dot segments, 'stores').
            base = api_base(match["origin"], "--store")
        except UrlRefused as error:
            raise CliError(str(error)) from None
        return StoreTarget(base, match["hash"], _token(token_file))
    assert environment is not None
    env = _manifest(environment, StoreEnvironment)
    assert isinstance(env, StoreEnvironment)
    return StoreTarget(env.spec.store.api_url, env.spec.store.hash, _token(token_file), env)


def _manifest(path: Path, model: type[StoreEnvironment] | type[CatalogSnapshot]) -> object:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CliError(f"{path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise CliError(f"{path}{f':{mark.line + 1}' if mark else ''}: not valid YAML") from None
    kind = model.__name__
    if not isinstance(doc, dict) or doc.get("kind") != kind:
        raise CliError(f"{path}: not a {kind} manifest")
    try:
        return model.model_validate(doc)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(p) for p in first["loc"])
        raise CliError(f"{path}: {location}: {first['msg']}") from None


def load_catalog(spec: str, cache_dir: Path, *, allow_empty: bool = False) -> ResolvedCatalog:
    """A catalog from a directory, `git+URL@REF#path`, or a CatalogSnapshot manifest (git or
    inline); an empty one (no products and no other kind managed) only with `allow_empty`, since
    planning it with prune deletes the store's catalog."""
    resolved = _load_catalog(spec, cache_dir)
    catalog = resolved.catalog
    if not allow_empty and is_empty(catalog):
        raise CliError(
            f"catalog {resolved.source} is empty: no {describe_format()} "
            "(pass --allow-empty if that is meant)"
        )
    return resolved


def _load_catalog(spec: str, cache_dir: Path) -> ResolvedCatalog:
    git_match = GIT_SPEC.match(spec)
    if git_match is not None:
        token = os.environ.get(GIT_TOKEN_ENV)
        credentials = GitCredentials(token=token) if token else None
        return resolve_git(
            GitCache(cache_dir, policy=AccessPolicy.personal()),
            git_match["url"],
            git_match["ref"] or "main",
            git_match["path"] or ".",
            credentials,
        )
    path = Path(spec)
    if path.is_dir():
        return resolve_directory(path)
    if path.is_file():
        snapshot = _manifest(path, CatalogSnapshot)
        assert isinstance(snapshot, CatalogSnapshot)
        source = snapshot.spec.source
        if source.inline is not None:
            return resolve_inline(source.inline.model_dump(mode="json", by_alias=True))
        git = source.git
        if git is None:
            raise CliError(
                f"{path}: a capture snapshot has no catalog until it is captured; use its Git branch"
            )
        token = os.environ.get(GIT_TOKEN_ENV)
        return resolve_git(
            GitCache(cache_dir, policy=AccessPolicy.personal()),
            git.url,
            git.ref,
            git.path,
            GitCredentials(token=token) if token else None,
        )
    raise CliError(f"catalog {spec!r}: no such directory or file (or use git+URL@REF#path)")
