"""Stencil themes: `/v3/themes` (upload as a job, activate on a channel, configurations, download,
delete) and each channel's active theme (`/v3/channels/{id}/active-theme`)."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
import zipfile
from datetime import UTC, datetime
from typing import Any

from controller.catalog.stencil import edit_config
from controller.emulator.database import dumps, now_iso
from controller.emulator.errors import ApiError, invalid, not_found
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListSpec,
    Resource,
    Route,
    json_response,
    listing,
    no_content,
    one,
    parse_value,
    sliced,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS themes (store TEXT, uuid TEXT, seq INTEGER, doc TEXT,
    PRIMARY KEY (store, uuid));
CREATE TABLE IF NOT EXISTS jobs (store TEXT, id TEXT, doc TEXT, PRIMARY KEY (store, id));
CREATE TABLE IF NOT EXISTS theme_bundles (store TEXT, uuid TEXT, data BLOB,
    PRIMARY KEY (store, uuid));
CREATE TABLE IF NOT EXISTS theme_configurations (store TEXT, uuid TEXT, seq INTEGER,
    theme_uuid TEXT, doc TEXT, PRIMARY KEY (store, uuid));
CREATE TABLE IF NOT EXISTS theme_channels (store TEXT, channel_id INTEGER, doc TEXT,
    PRIMARY KEY (store, channel_id));
"""
TABLES = ("themes", "jobs", "theme_bundles", "theme_configurations", "theme_channels")

CUSTOM_TEMPLATE_KINDS = ("product", "category", "brand", "page")
MAX_THEMES = 20
MAX_THEME_BYTES = 50 * 1024 * 1024
DOWNLOAD_SECONDS = 60.0  # a download link is valid this long once its job finished
WHICH = ("original", "last_activated", "last_created")
CONFIGURATIONS = ListSpec(
    filters={
        "uuid": Filter("", "str", frozenset({"in"})),
        "channel_id": Filter("", "int", frozenset({"in"})),
        "variation_uuid": Filter("", "str"),
    },
    direction=False,
    fields=False,
)


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

    def active_on(self, channel_id: int) -> dict[str, Any] | None:
        """The theme active on a channel (None without one)."""
        docs = self.docs(
            "SELECT doc FROM theme_channels WHERE store=? AND channel_id=?", self.hash, channel_id
        )
        return None if not docs else self.get(docs[0]["theme_uuid"])

    def active_theme(self, channel_id: int) -> dict[str, str]:
        """`GET /channels/{id}/active-theme`."""
        docs = self.docs(
            "SELECT doc FROM theme_channels WHERE store=? AND channel_id=?", self.hash, channel_id
        )
        if not docs:
            raise ApiError(404, f"No active theme found with channel_id: {channel_id}")
        active = docs[0]
        return {
            "active_theme_uuid": active["theme_uuid"],
            "active_theme_configuration_uuid": active["configuration_uuid"],
            "active_theme_version_uuid": active["variation_uuid"],
            "saved_theme_configuration_uuid": active["configuration_uuid"],
        }

    def active_templates(self, channel_id: int) -> dict[str, list[str]] | None:
        """The custom templates of the channel's active theme (None without one)."""
        active = self.active_on(channel_id)
        return None if active is None else self.custom_templates(active["uuid"])

    def regions(self, template_file: str, channel_id: int) -> list[dict[str, str]]:
        """`GET /content/regions`: the unique regions of a template file of the channel's active
        theme, in the order they appear (404: no active theme, or no such file)."""
        active = self.active_on(channel_id)
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
        *,
        bundle: bytes = b"",
        settings: list[dict[str, Any]] | None = None,
        schema: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any] | None:
        """Store an uploaded theme, its bundle and each variation's original configuration (its
        settings as config.json declares them); None when the store already holds the
        maximum."""
        with self.tx():
            if self.one("SELECT COUNT(*) FROM themes WHERE store=?", self.hash) >= MAX_THEMES:
                return None
            ids = [str(uuid.uuid4()) for _ in variations]
            doc: dict[str, Any] = {
                "uuid": str(uuid.uuid4()),
                "name": name,
                "is_private": True,
                "is_active": False,
                "updated_at": now_iso(),
                "variations": [
                    {"uuid": i, "name": v, "description": "", "external_id": ""}
                    for i, v in zip(ids, variations, strict=True)
                ],
                "custom_templates": templates or {},
                "regions": regions or {},
                "schema": schema or [],
            }
            seq = self.next_id("theme")
            self.execute(
                "INSERT INTO themes VALUES (?, ?, ?, ?)", self.hash, doc["uuid"], seq, dumps(doc)
            )
            self.execute(
                "INSERT INTO theme_bundles VALUES (?, ?, ?)", self.hash, doc["uuid"], bundle
            )
            values = settings or [{} for _ in variations]
            for variation_uuid, setting in zip(ids, values, strict=True):
                self._configuration(doc["uuid"], variation_uuid, setting, site_id=0)
            return doc

    def _configuration(
        self, theme_uuid: str, variation_uuid: str, settings: dict[str, Any], *, site_id: int
    ) -> dict[str, Any]:
        doc = {
            "uuid": str(uuid.uuid4()),
            "theme_uuid": theme_uuid,
            "variation_id": variation_uuid,
            "variation_uuid": variation_uuid,  # as the platform also answers: the Stencil CLI reads it
            "settings": settings,
            "date_created": now_iso(),
            "site_id": site_id,
        }
        seq = self.next_id("theme_configuration")
        self.execute(
            "INSERT INTO theme_configurations VALUES (?, ?, ?, ?, ?)",
            self.hash,
            doc["uuid"],
            seq,
            theme_uuid,
            dumps(doc),
        )
        return doc

    def configurations_of(self, theme_uuid: str) -> list[dict[str, Any]]:
        """A theme's configurations, oldest first."""
        self.get(theme_uuid)
        return self.docs(
            "SELECT doc FROM theme_configurations WHERE store=? AND theme_uuid=? ORDER BY seq",
            self.hash,
            theme_uuid,
        )

    def configurations(
        self,
        theme_uuid: str,
        uuids: list[str] | None,
        channels: list[int] | None,
        variation: str | None,
    ) -> list[dict[str, Any]]:
        """`GET /themes/{uuid}/configurations`: by configuration, by the site of a channel, by
        variation (at least one)."""
        if uuids is None and channels is None and variation is None:
            raise invalid("uuid:in", "At least one filter must be provided.")
        sites = (
            None
            if channels is None
            else {s for c in channels if (s := self._site_of(c)) is not None}
        )
        return [
            c
            for c in self.configurations_of(theme_uuid)
            if (uuids is None or c["uuid"] in uuids)
            and (sites is None or c["site_id"] in sites)
            and (variation is None or c["variation_id"] == variation)
        ]

    def _site_of(self, channel_id: int) -> int | None:
        """The id of a channel's storefront site (None: no such channel, or one without a site)."""
        if not self.store.channels.exists(channel_id):
            return None
        try:
            return int(self.store.sites.of_channel(channel_id)["id"])
        except ApiError:
            return None

    def validate(self, theme_uuid: str, body: Any) -> None:
        """`POST /themes/{uuid}/configurations/validate`: a variation of the theme and settings
        its schema.json declares, each of its type (422 naming every problem)."""
        theme = self.get(theme_uuid)
        if not isinstance(body, dict):
            raise invalid("body", "the body must be a JSON object")
        problems: dict[str, str] = {}
        variation = body.get("variation_id")
        if variation is not None and variation not in (v["uuid"] for v in theme["variations"]):
            problems["variation_id"] = f"variation {variation} is not a variation of this theme"
        settings = body.get("settings", {})
        if not isinstance(settings, dict):
            problems["settings"] = "settings must be a JSON object"
        elif theme.get("schema"):
            declared = {
                str(item["id"]): item
                for section in theme["schema"]
                for item in section.get("settings", [])
                if isinstance(item, dict) and "id" in item
            }
            for key, value in settings.items():
                item = declared.get(key)
                if item is None:
                    problems[f"settings.{key}"] = "the theme's schema declares no such setting"
                elif (problem := _setting_problem(item, value)) is not None:
                    problems[f"settings.{key}"] = problem
        if problems:
            raise ApiError(422, "The theme configuration is not valid.", problems)

    def activate(self, variation_id: str, channel_id: int = 1, which: str = "original") -> None:
        """`POST /themes/actions/activate?channel_id=`: the variation becomes the channel's theme,
        with a configuration of the channel's site made from the one `which` names."""
        with self.tx():
            themes = self.all()
            found = next(
                (t for t in themes if any(v["uuid"] == variation_id for v in t["variations"])),
                None,
            )
            if found is None:
                raise invalid("variation_id", f"variation {variation_id} does not exist")
            site = self._site_of(channel_id)
            if site is None:
                raise invalid("channel_id", f"channel {channel_id} has no storefront site")
            source = self._chosen(found["uuid"], which, variation_id)
            configuration = self._configuration(
                found["uuid"], variation_id, source["settings"], site_id=site
            )
            active = {
                "theme_uuid": found["uuid"],
                "variation_uuid": variation_id,
                "configuration_uuid": configuration["uuid"],
            }
            self.execute(
                "INSERT OR REPLACE INTO theme_channels VALUES (?, ?, ?)",
                self.hash,
                channel_id,
                dumps(active),
            )
            self._mark_active(themes)

    def _chosen(self, theme_uuid: str, which: str, variation_id: str | None) -> dict[str, Any]:
        """The configuration `which` names (of a variation, when given): the original, the one
        last activated, or the one last created."""
        configurations = [
            c
            for c in self.configurations_of(theme_uuid)
            if variation_id is None or c["variation_id"] == variation_id
        ]
        if which == "last_created":
            return configurations[-1]
        if which == "last_activated":
            activated = [c for c in configurations if c["site_id"]]
            if activated:
                return activated[-1]
        return configurations[0]

    def _mark_active(self, themes: list[dict[str, Any]]) -> None:
        """`is_active`: the theme is active on some channel."""
        rows = self.docs("SELECT doc FROM theme_channels WHERE store=?", self.hash)
        active = {r["theme_uuid"]: r["variation_uuid"] for r in rows}
        default = self.docs(
            "SELECT doc FROM theme_channels WHERE store=? AND channel_id=1", self.hash
        )
        for doc in themes:
            doc["is_active"] = doc["uuid"] in active
            doc["active_variation"] = (
                default[0]["variation_uuid"]
                if default and default[0]["theme_uuid"] == doc["uuid"]
                else active.get(doc["uuid"])
            )
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
            for table in ("themes", "theme_bundles", "theme_configurations"):
                column = "theme_uuid" if table == "theme_configurations" else "uuid"
                self.execute(
                    f"DELETE FROM {table} WHERE store=? AND {column}=?", self.hash, theme_uuid
                )

    def download(self, theme_uuid: str, which: str) -> str:
        """`POST /themes/{uuid}/actions/download`: a job whose result links to the bundle, with
        the settings of the configuration `which` names (the original: as uploaded)."""
        self.get(theme_uuid)
        job: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "created": time.time(),
            "download": {"theme": theme_uuid, "which": which},
            "outcome": {"status": "COMPLETED", "result": {}},
        }
        self.put_job(job)
        return str(job["id"])

    def downloaded(self, job_id: str, finished_before: float) -> bytes:
        """The bundle a download job links to (404 once the link expired)."""
        job = self.job(job_id)
        wanted = job.get("download")
        if wanted is None or job["created"] < finished_before:
            raise not_found("download")
        data: bytes = self.one(
            "SELECT data FROM theme_bundles WHERE store=? AND uuid=?", self.hash, wanted["theme"]
        )
        if data is None:
            raise not_found("theme")
        if wanted["which"] == "original":
            return data
        settings = self._chosen(wanted["theme"], wanted["which"], None)["settings"]
        return _with_settings(data, settings)

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
        if self.one("SELECT COUNT(*) FROM themes WHERE store=?", self.hash) >= MAX_THEMES:
            # As the platform answers (the Stencil CLI offers to delete a theme on this title)
            raise ApiError(
                409,
                f"You have reached your upload limit of {MAX_THEMES} themes: delete a theme "
                "before uploading another.",
                {"file": "theme limit reached"},
            )
        job: dict[str, Any] = {"id": str(uuid.uuid4()), "created": time.time()}
        inspected = _inspect_bundle(data)
        if inspected[0] is None:
            job["outcome"] = _failed(str(inspected[1]), "The file is not a valid Stencil bundle.")
        else:
            name, variations = inspected
            assert isinstance(variations, list)
            theme = self.add(
                name,
                variations,
                _custom_templates(data),
                _regions(data),
                bundle=data,
                settings=_settings(data, len(variations)),
                schema=_schema(data),
            )
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


def _settings(data: bytes, count: int) -> list[dict[str, Any]]:
    """Each variation's settings: config.json's `settings` with the variation's own over them."""
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        config = json.loads(bundle.read("config.json"))
    base: dict[str, Any] = _object(config.get("settings"))
    found = [
        {**base, **_object(v.get("settings"))}
        for v in config.get("variations", [])
        if isinstance(v, dict) and isinstance(v.get("name"), str)
    ]
    return found if len(found) == count else [dict(base) for _ in range(count)]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _schema(data: bytes) -> list[dict[str, Any]]:
    """The theme editor's schema (`schema.json`: sections of settings), when the bundle has one."""
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        if "schema.json" not in bundle.namelist():
            return []
        try:
            schema = json.loads(bundle.read("schema.json"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return []
    return [s for s in schema if isinstance(s, dict)] if isinstance(schema, list) else []


_COLOR = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def _setting_problem(item: dict[str, Any], value: Any) -> str | None:
    """Why a value does not fit a setting of the schema (None: it fits)."""
    kind = item.get("type")
    if kind == "checkbox" and not isinstance(value, bool):
        return "a checkbox setting takes true or false"
    if kind == "color" and not (isinstance(value, str) and _COLOR.match(value)):
        return "a color setting takes a hex color such as #ff0000"
    if kind == "select":
        options = [o.get("value") for o in item.get("options", []) if isinstance(o, dict)]
        if value not in options:
            return f"a select setting takes one of {options}"
    if kind in ("range", "number") and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        return "a number setting takes a number"
    if kind in ("text", "textarea", "font", "imageDimension") and not isinstance(value, str):
        return f"a {kind} setting takes a string"
    return None


def _with_settings(data: bytes, settings: dict[str, Any]) -> bytes:
    """The bundle with config.json's `settings` replaced."""
    return edit_config(data, lambda config: config.update(settings=settings))


def _public(theme: dict[str, Any]) -> dict[str, Any]:
    hidden = ("active_variation", "custom_templates", "regions", "schema")
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
        if "download" in job:
            origin = f"{call.request.scheme}://{call.request.host}"
            data["result"] = {
                "download_url": f"{origin}{DOWNLOADS}/{call.store.hash}/{job['id']}.zip"
            }
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
    which = body.get("which", "original")
    if which not in WHICH:
        raise invalid("which", "which must be original, last_activated or last_created")
    # The spec documents channel_id in the query; the Stencil CLI sends it in the body, and the
    # platform takes it there too.
    channel = parse_value("channel_id", "int", call.query.get("channel_id", "1"))
    if "channel_id" in body:
        if not isinstance(body["channel_id"], int) or isinstance(body["channel_id"], bool):
            raise invalid("channel_id", "channel_id must be an integer")
        if "channel_id" in call.query and body["channel_id"] != channel:
            raise invalid("channel_id", "channel_id differs between the query and the body")
        channel = body["channel_id"]
    await call.run(call.store.themes.activate, body["variation_id"], channel, which)
    return no_content()


async def active_theme(call: Call) -> Any:
    return one(await call.run(call.store.themes.active_theme, call.int("channel_id")))


async def list_configurations(call: Call) -> Any:
    query = call.list_query(CONFIGURATIONS)
    raw = call.query

    def values(name: str, kind: str) -> list[Any] | None:
        text = raw.get(name)
        return None if text is None else [parse_value(name, kind, v) for v in text.split(",") if v]

    found = await call.run(
        call.store.themes.configurations,
        call.path("uuid"),
        values("uuid:in", "str"),
        values("channel_id:in", "int"),
        raw.get("variation_uuid"),
    )
    return listing(sliced(found, query), lambda c: c)


async def validate_configuration(call: Call) -> Any:
    await call.run(call.store.themes.validate, call.path("uuid"), await call.body())
    return json_response({})


async def download_theme(call: Call) -> Any:
    body = await call.body()
    which = body.get("which") if isinstance(body, dict) else None
    if which not in WHICH:
        which = "last_activated"  # as documented: missing or invalid means last_activated
    job_id = await call.run(call.store.themes.download, call.path("uuid"), which)
    return json_response({"job_id": job_id})


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
    Route("GET", "/v3/themes/{uuid}/configurations", list_configurations, CONFIGURATIONS),
    Route("POST", "/v3/themes/{uuid}/configurations/validate", validate_configuration),
    Route("POST", "/v3/themes/{uuid}/actions/download", download_theme),
    Route("GET", "/v3/channels/{channel_id}/active-theme", active_theme),
]

DOWNLOADS = "/__emulator/theme-downloads"
"""Where download links point: like the platform's, they need no token and expire."""
