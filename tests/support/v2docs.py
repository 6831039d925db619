"""The archived V2 catalog documentation pages (`archive/store-operations/v2-catalog-products/*.mdx`)
read as a contract: each page's endpoints (method and path), the query parameters of its filter and
pagination tables, and the properties its object table and examples name. Answers of the
emulator's V2 routes are checked against them (pages, not OpenAPI: no schema to validate)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ENDPOINT = re.compile(r"`(GET|POST|PUT|DELETE) /stores/\{store_hash\}/v2(/[^`?]*)`")
_ROW = re.compile(r"^\|\s*`?([A-Za-z_@]+)`?\s*\|")
_KEY = re.compile(r'"([a-z_]+)"\s*:')


@dataclass
class Page:
    """One documentation page."""

    name: str
    properties: set[str] = field(default_factory=set)  # its object table
    mentioned: set[str] = field(default_factory=set)  # every JSON key of its examples
    endpoints: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # -> query params


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path.rstrip("/"))


@functools.cache
def pages(directory: Path) -> list[Page]:
    """Every page of the V2 catalog documentation."""
    found = []
    for file in sorted((directory / "archive/store-operations/v2-catalog-products").glob("*.mdx")):
        page = Page(file.stem)
        section = ""
        current: tuple[str, str] | None = None
        for line in file.read_text().splitlines():
            if line.startswith("#"):
                section = line.strip("# ").lower()
            endpoint = _ENDPOINT.search(line)
            if endpoint:
                current = (endpoint.group(1), "/v2" + endpoint.group(2))
                page.endpoints.setdefault(current, set())
                continue
            row = _ROW.match(line)
            if row and row.group(1) not in ("Name", "Parameter", "Title"):
                name = row.group(1)
                if "properties" in section:
                    page.properties.add(name)
                elif current is not None and ("filter" in section or "pagination" in section):
                    page.endpoints[current].add(name.lower())
            page.mentioned.update(_KEY.findall(line))
        found.append(page)
    return found


def documented(directory: Path) -> dict[str, dict[str, set[str]]]:
    """Path -> method -> documented query parameters, over every page."""
    out: dict[str, dict[str, set[str]]] = {}
    for page in pages(directory):
        for (method, path), params in page.endpoints.items():
            out.setdefault(path, {}).setdefault(method, set()).update(params)
    return out


# Served though no page documents them: the global options themselves (the "Option Values" and
# "Product Options" pages document their values and a product's; the V2-versus-V3 page shows an
# option created by POST, under a wrong path). Their answers are checked against the options page.
UNDOCUMENTED: dict[str, dict[str, set[str]]] = {
    "/v2/options": {"GET": {"page", "limit"}, "POST": set()},
    "/v2/options/{}": {"GET": set(), "PUT": set(), "DELETE": set()},
    "/v2/options/count": {"GET": set()},
}


def page_of(directory: Path, method: str, path: str) -> Page | None:
    """The page documenting `method path` (a concrete path: ids in place of parameters)."""
    shape = re.sub(r"/\d+(?=/|$)", "/{}", path.rstrip("/"))
    if shape in UNDOCUMENTED:
        return next(p for p in pages(directory) if p.name == "v2-options")
    # `/products/{id}/options` is on two pages: the later, "Product Options", describes its answer
    for page in reversed(pages(directory)):
        for m, p in page.endpoints:
            if m == method and _template(p) == _template(shape):
                return page
    # a YouTube video id is not a number
    for page in pages(directory):
        for m, p in page.endpoints:
            if (
                m == method
                and p.endswith("{id}")
                and re.sub(r"/[^/]+$", "/{}", shape) == _template(p)
            ):
                return page
    return None


def shape_of(directory: Path, method: str, path: str) -> str:
    """The documented path of a concrete one, without `/v2`, parameters as `{}`."""
    shape = re.sub(r"/\d+(?=/|$)", "/{}", path.rstrip("/"))
    documented = {
        _template(p) for page in pages(directory) for m, p in page.endpoints if m == method
    }
    if shape not in documented and shape not in UNDOCUMENTED:
        shape = re.sub(r"/[^/]+$", "/{}", shape)  # a YouTube video id is not a number
    return shape.removeprefix("/v2")


def problems(directory: Path, method: str, path: str, status: int, body: Any) -> list[str]:
    """Why a V2 answer does not match its page: an error that is not a list of {status, message},
    a property the page does not name, or one of the page's properties missing."""
    where = f"{method} {path} -> {status}"
    page = page_of(directory, method, path)
    if page is None:
        return [f"{where}: no documentation page"]
    if status >= 400:
        ok = (
            isinstance(body, list)
            and body
            and all(isinstance(e, dict) and {"status", "message"} <= set(e) for e in body)
        )
        return [] if ok else [f"{where}: not a V2 error list: {body!r}"[:300]]
    if status == 204 or path.endswith("/count"):
        return [] if status == 204 or set(body) == {"count"} else [f"{where}: not a count"]
    records = body if isinstance(body, list) else [body]
    out = []
    for record in records:
        unknown = set(record) - page.properties - page.mentioned
        missing = page.properties - set(record)
        if unknown:
            out.append(f"{where}: undocumented properties {sorted(unknown)}")
        if missing:
            out.append(f"{where}: documented properties missing {sorted(missing)}")
    return out
