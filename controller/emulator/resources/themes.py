"""Stencil themes: `/v3/themes` (upload as a job, activate, delete)."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
import zipfile
from datetime import UTC, datetime
from typing import Any

from controller.emulator.database import dumps, now_iso
from controller.emulator.errors import ApiError, invalid, not_found
from controller.emulator.resources.base import (
    Call,
    Resource,
    Route,
    json_response,
    no_content,
    one,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS themes (store TEXT, uuid TEXT, seq INTEGER, doc TEXT,
    PRIMARY KEY (store, uuid));
CREATE TABLE IF NOT EXISTS jobs (store TEXT, id TEXT, doc TEXT, PRIMARY KEY (store, id));
"""
TABLES = ("themes", "jobs")

CUSTOM_TEMPLATE_KINDS = ("product", "category", "brand", "page")
MAX_THEMES = 20
MAX_THEME_BYTES = 50 * 1024 * 1024


class Themes(Resource):
    """The themes of one store and their upload jobs."""

    def all(self) -> list[dict[str, Any]]:
        """`GET /themes`."""
        return self.docs("SELECT doc FROM themes WHERE store=? ORDER BY seq", self.hash)

    def get(self, theme_uuid: str) -> dict[str, Any]:
        """`GET /themes/{uuid}`."""
        docs = self.docs("SELECT doc FROM themes WHERE store=? AND uuid=?", self.hash, theme_uuid)
        if not docs:
            raise not_found("theme")
        return docs[0]

    def custom_templates(self, version_uuid: str) -> dict[str, list[str]]:
        """`GET /themes/custom-templates/{version_uuid}` (a theme's or a variation's uuid)."""
        for doc in self.all():
            if version_uuid in (doc["uuid"], *(v["uuid"] for v in doc["variations"])):
                found = doc.get("custom_templates") or {}
                return {kind: list(found.get(kind, [])) for kind in CUSTOM_TEMPLATE_KINDS}
        raise not_found("theme version")

    def active_templates(self, channel_id: int) -> dict[str, list[str]] | None:
        """The custom templates of the channel's active theme (None without one)."""
        active = next((t for t in self.all() if t["is_active"]), None) if channel_id == 1 else None
        return None if active is None else self.custom_templates(active["uuid"])

    def regions(self, template_file: str, channel_id: int) -> list[dict[str, str]]:
        """`GET /content/regions`: the unique regions of a template file of the channel's active
        theme, in the order they appear (404: no active theme, or no such file)."""
        active = next((t for t in self.all() if t["is_active"]), None) if channel_id == 1 else None
        found = None if active is None else (active.get("regions") or {}).get(template_file)
        if found is None:
            raise not_found("template file")
        return [{"name": name} for name in found]

    def add(
        self,
        name: str,
        variations: list[str],
        templates: dict[str, list[str]] | None = None,
        regions: dict[str, list[str]] | None = None,
    ) -> dict[str, Any] | None:
        """Store an uploaded theme; None when the store already holds the maximum."""
        with self.tx():
            if self.one("SELECT COUNT(*) FROM themes WHERE store=?", self.hash) >= MAX_THEMES:
                return None
            doc = {
                "uuid": str(uuid.uuid4()),
                "name": name,
                "is_private": True,
                "is_active": False,
                "updated_at": now_iso(),
                "variations": [
                    {"uuid": str(uuid.uuid4()), "name": v, "description": "", "external_id": ""}
                    for v in variations
                ],
                "custom_templates": templates or {},
                "regions": regions or {},
            }
            seq = self.next_id("theme")
            self.execute(
                "INSERT INTO themes VALUES (?, ?, ?, ?)", self.hash, doc["uuid"], seq, dumps(doc)
            )
            return doc

    def activate(self, variation_id: str) -> None:
        """`POST /themes/actions/activate`."""
        with self.tx():
            themes = self.all()
            found = next(
                (t for t in themes if any(v["uuid"] == variation_id for v in t["variations"])),
                None,
            )
            if found is None:
                raise invalid("variation_id", f"variation {variation_id} does not exist")
            for doc in themes:
                doc["is_active"] = doc["uuid"] == found["uuid"]
                doc["active_variation"] = variation_id if doc["is_active"] else None
                self.execute(
                    "UPDATE themes SET doc=? WHERE store=? AND uuid=?",
                    dumps(doc),
                    self.hash,
                    doc["uuid"],
                )

    def delete(self, theme_uuid: str) -> None:
        """`DELETE /themes/{uuid}` (refused for the active theme)."""
        with self.tx():
            if self.get(theme_uuid)["is_active"]:
                raise ApiError(
                    422, "The active theme cannot be deleted.", {"uuid": "theme is active"}
                )
            self.execute("DELETE FROM themes WHERE store=? AND uuid=?", self.hash, theme_uuid)

    def put_job(self, job: dict[str, Any]) -> None:
        """Store a theme job."""
        with self.tx():
            self.execute(
                "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?)", self.hash, job["id"], dumps(job)
            )

    def job(self, job_id: str) -> dict[str, Any]:
        """A theme job."""
        docs = self.docs("SELECT doc FROM jobs WHERE store=? AND id=?", self.hash, job_id)
        if not docs:
            raise not_found("job")
        return docs[0]

    def upload(self, data: bytes) -> str:
        """Inspect a bundle and record its job (the theme is stored at once; the job reports it
        after the configured delay)."""
        job: dict[str, Any] = {"id": str(uuid.uuid4()), "created": time.time()}
        inspected = _inspect_bundle(data)
        if inspected[0] is None:
            job["outcome"] = _failed(str(inspected[1]), "The file is not a valid Stencil bundle.")
        else:
            name, variations = inspected
            assert isinstance(variations, list)
            theme = self.add(name, variations, _custom_templates(data), _regions(data))
            if theme is None:
                job["outcome"] = _failed(
                    "ThemeLimitReached", f"A store holds at most {MAX_THEMES} themes."
                )
            else:
                job["outcome"] = {"status": "COMPLETED", "result": {"theme_id": theme["uuid"]}}
        self.put_job(job)
        return str(job["id"])


def _failed(code: str, message: str) -> dict[str, Any]:
    return {"status": "FAILED", "errors": [{"error": code, "message": message}]}


def _inspect_bundle(data: bytes) -> tuple[str, list[str]] | tuple[None, str]:
    """(name, variation names) of a Stencil bundle, or (None, error code)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            if "config.json" not in set(bundle.namelist()):
                return None, "MissingConfigJson"
            config = json.loads(bundle.read("config.json"))
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError):
        return None, "UnreadableBundle"
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        return None, "InvalidConfigJson"
    variations = [v.get("name") for v in config.get("variations", []) if isinstance(v, dict)]
    return config["name"], [v for v in variations if isinstance(v, str)] or ["Default"]


def _custom_templates(data: bytes) -> dict[str, list[str]]:
    """The custom layout files of a bundle: `templates/pages/custom/{kind}/*.html`."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        for name in sorted(bundle.namelist()):
            parts = name.split("/")
            if (
                len(parts) == 5
                and parts[:3] == ["templates", "pages", "custom"]
                and parts[3] in CUSTOM_TEMPLATE_KINDS
                and parts[4].endswith(".html")
            ):
                found.setdefault(parts[3], []).append(parts[4])
    return found


_REGION = re.compile(r"""\{\{\{\s*region\s+name=["']([^"']+)["']\s*\}\}\}""")


def _regions(data: bytes) -> dict[str, list[str]]:
    """Template file (`pages/home`, `pages/custom/product/sale`) -> the regions it declares
    (`{{{region name="..."}}}`), each once, in order."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        for name in sorted(bundle.namelist()):
            if name.startswith("templates/pages/") and name.endswith(".html"):
                text = bundle.read(name).decode("utf-8", errors="replace")
                names = list(dict.fromkeys(_REGION.findall(text)))
                found[name[len("templates/") : -len(".html")]] = names
    return found


def _public(theme: dict[str, Any]) -> dict[str, Any]:
    hidden = ("active_variation", "custom_templates", "regions")
    return {k: v for k, v in theme.items() if k not in hidden}


# ---- HTTP -----------------------------------------------------------------------------------------


async def upload_theme(call: Call) -> Any:
    request = call.request
    if not request.content_type.startswith("multipart/"):
        raise invalid("file", "upload the theme as multipart/form-data with a 'file' field")
    data = b""
    async for part in await request.multipart():
        if getattr(part, "name", None) == "file":
            data = await part.read()  # type: ignore[union-attr]
    if not data:
        raise invalid("file", "the 'file' field is required")
    job_id = await call.run(call.store.themes.upload, data)
    return json_response({"job_id": job_id}, 201)


async def get_job(call: Call) -> Any:
    job = await call.run(call.store.themes.job, call.path("job_id"))
    duration = float(call.settings["theme_job_seconds"])
    elapsed = time.time() - job["created"]
    data: dict[str, Any] = {
        "id": job["id"],
        "errors": [],
        "warnings": [],
        "result": {},
        "time": datetime.fromtimestamp(job["created"], UTC).isoformat(),
    }
    if elapsed < duration / 3:
        data.update(status="QUEUED", percent_complete=0)
    elif elapsed < duration:
        data.update(status="WORKING", percent_complete=int(100 * elapsed / duration))
    else:
        data.update(percent_complete=100, **job["outcome"])
    return one(data)


async def list_themes(call: Call) -> Any:
    return one([_public(t) for t in await call.run(call.store.themes.all)])


async def get_theme(call: Call) -> Any:
    return one(_public(await call.run(call.store.themes.get, call.path("uuid"))))


async def delete_theme(call: Call) -> Any:
    await call.run(call.store.themes.delete, call.path("uuid"))
    return no_content()


async def activate_theme(call: Call) -> Any:
    body = await call.body()
    if not isinstance(body, dict) or not isinstance(body.get("variation_id"), str):
        raise invalid("variation_id", "variation_id is required")
    if body.get("which", "original") not in ("original", "last_activated", "last_created"):
        raise invalid("which", "which must be original, last_activated or last_created")
    channel = call.query.get("channel_id", "1")
    if channel != "1":
        raise invalid("channel_id", f"channel {channel} does not exist")
    await call.run(call.store.themes.activate, body["variation_id"])
    return no_content()


async def get_custom_templates(call: Call) -> Any:
    return one(await call.run(call.store.themes.custom_templates, call.path("version_uuid")))


ROUTES = [
    Route("GET", "/v3/themes/custom-templates/{version_uuid}", get_custom_templates),
    Route("GET", "/v3/themes", list_themes),
    Route("POST", "/v3/themes", upload_theme),
    Route("GET", "/v3/themes/jobs/{job_id}", get_job),
    Route("POST", "/v3/themes/actions/activate", activate_theme, extra=frozenset({"channel_id"})),
    Route("GET", "/v3/themes/{uuid}", get_theme),
    Route("DELETE", "/v3/themes/{uuid}", delete_theme),
]
