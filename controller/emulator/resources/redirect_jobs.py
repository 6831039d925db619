"""Redirect import and export jobs: `/v3/storefront/redirects/imex/...`. An import takes a CSV
(`Domain,Old Path,Manual URL/Path,Dynamic Target Type,Dynamic Target ID`, at most 20 MB) and
upserts each row by site and path as `PUT /storefront/redirects` would, a bad row failing alone
(reported by row); an export writes the site's (or the named) redirects as such a CSV. The
emulator finishes a job as it records it (so it never answers the platform's 429 for a job
already running), and its event stream reports it complete."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import orjson
from aiohttp import web

from controller.emulator.database import Page, dumps, now_iso
from controller.emulator.errors import ApiError, invalid
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    json_field,
    json_response,
    listing,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS redirect_jobs (store TEXT, id TEXT, seq INTEGER, doc TEXT,
    PRIMARY KEY (store, id));
"""
TABLES = ("redirect_jobs",)

HEADER = ["Domain", "Old Path", "Manual URL/Path", "Dynamic Target Type", "Dynamic Target ID"]
URL_COLUMN = "Dynamic Target URL"
TYPES = {"Product": "product", "Brand": "brand", "Category": "category", "Page": "page"}
TYPES["Post"] = "post"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
DEFAULT_SITE = 1000
LIST = ListSpec(
    filters={
        "id": Filter(json_field("id"), "str"),
        "type": Filter(json_field("type"), "str"),
        "status": Filter(json_field("status"), "str"),
    },
    direction=False,
    fields=False,
    key="seq",
)


class RedirectJobs(Resource):
    """The redirect import and export jobs of one store."""

    def domain(self) -> str:
        """The domain of the store's one site."""
        profile = self.db.store(self.hash)
        return profile.domain if profile is not None else f"store-{self.hash}.mybigcommerce.com"

    def _record(self, doc: dict[str, Any]) -> str:
        self.execute(
            "INSERT INTO redirect_jobs VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            self.next_id("redirect_job"),
            dumps(doc),
        )
        return str(doc["id"])

    def _job(self, kind: str, total: int) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "type": kind,
            "status": "complete",
            "completed_items": 0,
            "failed_items": 0,
            "total_items": total,
            "errors": [],
            "created_at": now_iso(),
            "completed_at": now_iso(),
        }

    def import_csv(self, data: bytes) -> str:
        """`POST /imex/import`: each row upserted, a bad one reported by its row number."""
        try:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error) as error:
            raise ApiError(400, "The file is not a CSV.", {"import_file": str(error)}) from error
        if not rows or [c.strip() for c in rows[0][: len(HEADER)]] != HEADER:
            raise ApiError(
                400, "The file is not a CSV of redirects.", {"import_file": ",".join(HEADER)}
            )
        domain = self.domain()
        with self.tx():
            job = self._job("import", len(rows) - 1)
            for number, row in enumerate(rows[1:], start=2):
                cells = [c.strip() for c in row] + [""] * len(HEADER)
                try:
                    if cells[0] != domain:
                        raise invalid("Domain", f"no site with the domain {cells[0]!r}")
                    if cells[3]:
                        if cells[3] not in TYPES or not cells[4].isdigit():
                            raise invalid("Dynamic Target Type", "a type and an id are needed")
                        to = {"type": TYPES[cells[3]], "entity_id": int(cells[4])}
                    else:
                        to = {"type": "url", "url": cells[2]}
                    item = {"from_path": cells[1], "site_id": DEFAULT_SITE, "to": to}
                    self.store.redirects.upsert([item])
                    job["completed_items"] += 1
                except ApiError as error:
                    job["failed_items"] += 1
                    reason = "; ".join(str(v) for v in (error.errors or {}).values())
                    job["errors"].append({"row": number, "message": reason or error.title})
            return self._record(job)

    def export(self, body: Any) -> str:
        """`POST /imex/export`: the CSV of a site's (or the named) redirects."""
        if not isinstance(body, dict):
            raise invalid("body", "must be a JSON object")
        site, ids = body.get("site_id"), body.get("redirect_ids") or []
        if site is not None and (not isinstance(site, int) or isinstance(site, bool)):
            raise invalid("site_id", "site_id must be an integer or null")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise invalid("redirect_ids", "redirect_ids must be a list of integers")
        with self.tx():
            docs = self.docs("SELECT doc FROM redirects WHERE store=? ORDER BY id", self.hash)
            docs = [
                d
                for d in docs
                if (site is None or d["site_id"] == site) and (not ids or d["id"] in ids)
            ]
            if not docs:
                raise ApiError(409, "No redirects in the store meet the criteria of the request.")
            urls = bool(body.get("include_dynamic_target_urls"))
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(HEADER + ([URL_COLUMN] if urls else []))
            names = {v: k for k, v in TYPES.items()}
            for doc in docs:
                to = doc["to"]
                dynamic = to["type"] != "url"
                row = [
                    self.domain(),
                    doc["from_path"],
                    "" if dynamic else to["url"],
                    names[to["type"]] if dynamic else "",
                    str(to["entity_id"]) if dynamic else "",
                ]
                writer.writerow(
                    row + ([self.store.redirects.to_url(doc) if dynamic else ""] if urls else [])
                )
            job = {**self._job("export", len(docs)), "completed_items": len(docs)}
            job["csv"] = out.getvalue()
            return self._record(job)

    def job(self, job_id: str, kind: str | None = None) -> dict[str, Any]:
        """One job (404 when missing, or of the other type)."""
        docs = self.docs("SELECT doc FROM redirect_jobs WHERE store=? AND id=?", self.hash, job_id)
        if not docs or (kind is not None and docs[0]["type"] != kind):
            raise ApiError(404, f"The {kind or 'import-export'} job was not found.")
        return docs[0]

    def find(self, query: ListQuery) -> Page:
        """`GET /imex/jobs`."""
        page = self.list_page("redirect_jobs", query)
        items = [{k: v for k, v in d.items() if k != "csv"} for d in page.items]
        return Page(items, page.total, page.page, page.limit)


# ---- HTTP -----------------------------------------------------------------------------------------

_BASE = "/v3/storefront/redirects/imex"


async def create_import(call: Call) -> Any:
    request = call.request
    if not request.content_type.startswith("multipart/"):
        raise ApiError(400, "Send the CSV as multipart/form-data.", {"import_file": "required"})
    data = b""
    async for part in await request.multipart():
        if getattr(part, "name", None) == "import_file":
            data = await part.read()  # type: ignore[union-attr]
    if not data:
        raise ApiError(400, "The import_file field is required.", {"import_file": "required"})
    if len(data) > MAX_IMPORT_BYTES:
        raise ApiError(413, "The file is larger than 20 MB.")
    return json_response({"id": await call.run(call.store.redirect_jobs.import_csv, data)}, 201)


async def create_export(call: Call) -> Any:
    body = await call.body()
    return json_response({"id": await call.run(call.store.redirect_jobs.export, body)}, 201)


async def list_jobs(call: Call) -> Any:
    query = call.list_query(LIST)
    return listing(await call.run(call.store.redirect_jobs.find, query), dict)


def _events(kind: str) -> Any:
    async def stream(call: Call) -> Any:
        job = await call.run(call.store.redirect_jobs.job, call.path("uuid"), kind)
        data = {"job_id": job["id"], "status": job["status"]}
        data.update((k, job[k]) for k in ("completed_items", "total_items"))
        if kind == "import":
            data.update(failed_items=job["failed_items"], errors=job["errors"])
        text = f"event: message\ndata: {orjson.dumps(data).decode()}\n\n"
        return web.Response(text=text, content_type="text/event-stream")

    return stream


async def download(call: Call) -> Any:
    job = await call.run(call.store.redirect_jobs.job, call.path("uuid"), "export")
    return web.Response(text=job["csv"], content_type="text/csv")


ROUTES = [
    Route("GET", f"{_BASE}/jobs", list_jobs, LIST),
    Route("POST", f"{_BASE}/export", create_export),
    Route("POST", f"{_BASE}/import", create_import),
    Route("GET", f"{_BASE}/export/{{uuid}}/events", _events("export")),
    Route("GET", f"{_BASE}/import/{{uuid}}/events", _events("import")),
    Route("GET", f"{_BASE}/export/{{uuid}}/download", download),
]
