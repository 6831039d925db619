"""Resolving a CatalogSnapshot's source to a validated catalog, and capturing a live store into Git.

Used by the operator and by the CLI alike.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controller.catalog.files import digest, load_directory, write_directory
from controller.catalog.kinds import CAPTURED, counts_text
from controller.catalog.model import Catalog, CatalogInvalid
from controller.catalog.observed import ObservedCatalog, to_catalog
from controller.catalog.parse import from_inline
from controller.catalog.provider import Provider
from controller.engine.migrate import observe_migrated
from controller.gitsource import GitCache, GitCredentials, redact_url, safe_path
from controller.stores import BigCommerceStore
from controller.text import plural


@dataclass(frozen=True)
class ResolvedCatalog:
    """A catalog with where it came from: the commit (None for inline), its digest and counts."""

    catalog: Catalog
    revision: str | None
    digest: str
    source: str

    @property
    def counts(self) -> dict[str, int]:
        """Item counts per kind."""
        return self.catalog.counts()


def footprint(catalog: Catalog, sample: int = 200) -> int:
    """The bytes a catalog holds in memory, estimated from a sample of its products (every object
    reachable from each, counted once) and extrapolated; categories, brands and the rest are few."""
    products = list(itertools.islice(catalog.products.values(), sample))
    if not products:
        return _deep_size(catalog)
    per_product = sum(_deep_size(p) for p in products) / len(products)
    rest = dataclasses.replace(catalog, products={})
    return int(per_product * len(catalog.products) * 1.1) + _deep_size(rest)


def _deep_size(root: object) -> int:
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif hasattr(item, "__dict__"):
            stack.append(vars(item))
        elif hasattr(item, "__slots__"):
            stack.extend(getattr(item, slot) for slot in item.__slots__ if hasattr(item, slot))
    return total


def _resolved(catalog: Catalog, revision: str | None, source: str) -> ResolvedCatalog:
    return ResolvedCatalog(catalog, revision, digest(catalog), source)


def resolve_git(
    cache: GitCache, url: str, ref: str, path: str, credentials: GitCredentials | None = None
) -> ResolvedCatalog:
    """Resolve `ref`, then load and validate the catalog at `path` of that commit (blocking: run it
    in a thread from async code). Raises the gitsource errors or `CatalogInvalid`."""
    revision = cache.resolve(url, ref, credentials)
    relative = safe_path(path)
    with cache.materialize(url, revision.sha, relative) as directory:
        catalog = load_directory(directory, label_root=relative or ".")
    return _resolved(catalog, revision.sha, f"{redact_url(url)}@{ref}#{relative or '.'}")


def resolve_directory(directory: Path) -> ResolvedCatalog:
    """Load and validate a catalog directory on disk."""
    return _resolved(load_directory(directory), None, str(directory))


def resolve_inline(inline: Mapping[str, Any]) -> ResolvedCatalog:
    """Validate an inline catalog (`spec.source.inline`)."""
    return _resolved(from_inline(inline), None, "inline")


@dataclass(frozen=True)
class Capture:
    """What a capture wrote: the commit (None when nothing changed) and the catalog captured."""

    revision: str | None
    catalog: Catalog
    message: str


def capture_message(environment: str, store_hash: str, catalog: Catalog) -> str:
    """The commit message of a capture: the environment, the store and the counts."""
    return f"Capture {environment} (store {store_hash}): {counts_text(catalog.counts())}"


class EmptyCapture(Exception):
    """A capture of an empty store would replace a non-empty catalog (the message counts it)."""


def _refuse_emptying(catalog: Catalog, directory: Path) -> None:
    """A store without products is empty, whatever categories or brands it has left."""
    if catalog.counts()["products"] or not directory.is_dir():
        return
    try:
        products = load_directory(directory).counts()["products"]
    except CatalogInvalid:
        products = sum(1 for p in directory.rglob("*") if p.is_file())
    if products:
        raise EmptyCapture(plural(products, "product"))


async def observe_captured(store: Provider) -> ObservedCatalog:
    """The store as a capture writes it: an older store's Catalog V2 products as they become in
    V3 (each variant priced and weighed as a shopper pays for it under the V2 rules, each modifier
    value a rule priced with that rule's adjusters), so that the files apply to any store alike."""
    if isinstance(store, BigCommerceStore):  # planned from the product pages it reads
        return await observe_migrated(store, CAPTURED)
    return await store.observe(CAPTURED)


async def capture_to_git(
    store: Provider,
    cache: GitCache,
    url: str,
    branch: str,
    path: str,
    *,
    environment: str,
    store_hash: str,
    credentials: GitCredentials | None = None,
    author: tuple[str, str] = ("StagingPro", "stagingpro@localhost"),
    committer: tuple[str, str] | None = None,
    push: bool = True,
    refuse_emptying: bool = False,
) -> Capture:
    """Observe the store and commit its catalog to `branch` (no commit when nothing changed).
    With `refuse_emptying`, an empty store over a non-empty catalog raises `EmptyCapture`."""
    catalog = to_catalog(await observe_captured(store))
    message = capture_message(environment, store_hash, catalog)

    def write(directory: Path) -> None:
        if refuse_emptying:
            _refuse_emptying(catalog, directory)
        write_directory(catalog, directory)

    sha = await asyncio.to_thread(
        cache.commit,
        url,
        branch,
        path,
        write,
        message,
        credentials=credentials,
        author=author,
        committer=committer,
        push=push,
    )
    return Capture(sha, catalog, message)


async def capture_to_directory(
    store: Provider, directory: Path, *, layout: str | None = None
) -> Catalog:
    """Observe the store and write its catalog files into a directory."""
    catalog = to_catalog(await observe_captured(store))
    write_directory(catalog, directory, layout=layout)
    return catalog
