"""The web UI's pages, server-rendered from the objects the operator holds and the reviews of its
plans. Every value from an object (and so from a store) is escaped; long lists are paged."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, TypeVar
from urllib.parse import quote

from controller.api.deployment import environment_of, scope_text
from controller.review import STYLE, document, pages_nav, review_body
from controller.review.shelf import Shelved
from controller.ui.view import ClusterView

T = TypeVar("T")
Obj = Mapping[str, Any]

UI_STYLE = (
    STYLE
    + """
header.top{display:flex;gap:1.2rem;align-items:baseline;border-bottom:1px solid #ddd;
padding-bottom:.4rem}header.top strong{font-size:1.1rem}
table.list{width:100%}.drifted,.bad{color:#c0392b}.good{color:#1e8449}.muted{color:#777}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dl.facts dt{color:#555}
"""
)


def e(value: Any) -> str:
    """A value as HTML text (None as nothing)."""
    return escape("" if value is None else str(value))


def path(*segments: str) -> str:
    """A URL path of these segments, each percent-encoded."""
    return "/" + "/".join(quote(str(s), safe="") for s in segments)


def link(url: str, text: Any) -> str:
    """An anchor (`url` is this UI's own path)."""
    return f'<a href="{escape(url, quote=True)}">{e(text)}</a>'


def object_path(kind: str, namespace: str, name: str) -> str:
    """An object's page, as notifications link to it."""
    return path("namespaces", namespace, kind.lower() + "s", name)


def target_path(namespace: str, deployment: str, target: str) -> str:
    """A deployment target's review page, as notifications link to it."""
    return object_path("StoreDeployment", namespace, deployment) + path("targets", target)


def layout(title: str, body: str) -> str:
    """A page of the UI: its navigation and `body`."""
    nav = (
        '<header class="top"><strong>StagingPro</strong>'
        + link("/", "Environments")
        + link("/deployments", "Deployments")
        + link("/snapshots", "Snapshots")
        + "</header>"
    )
    return document(f"{title} · StagingPro", f"{nav}\n{body}", style=UI_STYLE)


def paged(items: Sequence[T], page: int, per_page: int, url: str) -> tuple[Sequence[T], str]:
    """One page of `items` and the links to the others (`url?page=N`)."""
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(max(1, page), pages)
    nav = pages_nav(page, pages, lambda n: f"{url}?page={n}") if pages > 1 else ""
    return items[(page - 1) * per_page : page * per_page], nav


def _meta(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or "default"), str(meta.get("name") or "")


def _status(obj: Obj | None) -> Mapping[str, Any]:
    return ((obj or {}).get("status") or {}) if obj is not None else {}


def _ready(obj: Obj) -> str:
    ready = next(
        (c for c in _status(obj).get("conditions") or [] if c.get("type") == "Ready"), None
    )
    if ready is None:
        return '<span class="muted">unknown</span>'
    if ready.get("status") == "True":
        return '<span class="good">Ready</span>'
    text = e(ready.get("reason") or "NotReady")
    return f'<span class="bad" title="{e(ready.get("message"))}">{text}</span>'


def _drift(obj: Obj) -> str:
    drift = _status(obj).get("drift")
    if not drift:
        return '<span class="muted">not checked</span>'
    if drift.get("inSync"):
        return '<span class="good">in sync</span>'
    parts = []
    total = 0
    for kind, counts in sorted((drift.get("counts") or {}).items()):
        words = [f"{int(n)} {what}" for what, n in sorted(counts.items()) if n]
        total += sum(int(n) for n in counts.values())
        if words:
            parts.append(f"{kind} {', '.join(words)}")
    return f'<span class="drifted">{total} drifted</span> ' + e("; ".join(parts))


def _plan_counts(target: Mapping[str, Any]) -> str:
    parts = [
        f"{kind} +{c.get('create', 0)} ~{c.get('update', 0)} -{c.get('delete', 0)}"
        for kind, c in sorted((target.get("plan") or {}).items())
    ]
    return e((", ".join(parts) or "-") + scope_text(target))


def _snapshot_link(namespace: str, name: str | None) -> str:
    """A link to a snapshot's page (nothing without a name)."""
    return link(object_path("CatalogSnapshot", namespace, name), name) if name else ""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    """A table of cells that are HTML already."""
    if not rows:
        return f'<p class="muted">{e(empty)}</p>'
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="list"><tr>{head}</tr>{body}</table>'


def _facts(pairs: Sequence[tuple[str, str]]) -> str:
    """A definition list; values are HTML already, empty ones left out."""
    items = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in pairs if v)
    return f'<dl class="facts">{items}</dl>'


# ---- environments ---------------------------------------------------------------------------------


def environments(view: ClusterView, page: int, per_page: int) -> str:
    """Every environment, with its store, readiness and drift."""
    shown, nav = paged(view.list("StoreEnvironment"), page, per_page, "/")
    rows = []
    for env in shown:
        namespace, name = _meta(env)
        store = _status(env).get("store") or {}
        spec = env.get("spec") or {}
        rows.append(
            (
                link(object_path("StoreEnvironment", namespace, name), f"{namespace}/{name}"),
                e(spec.get("role")),
                e(store.get("name")) + f" <code>{e((spec.get('store') or {}).get('hash'))}</code>",
                _ready(env),
                _drift(env),
                e(spec.get("timezone") or store.get("timezone")),
                e(_status(env).get("lastCheckedAt")),
            )
        )
    table = _table(
        ("environment", "role", "store", "ready", "drift", "time zone", "last checked (UTC)"),
        rows,
        "No environments.",
    )
    return layout("Environments", f"<h1>Environments</h1>{nav}{table}{nav}")


def environment(view: ClusterView, namespace: str, name: str, page: int, per_page: int) -> str:
    """One environment: store, drift by kind with samples, and its releases."""
    env = view.get("StoreEnvironment", namespace, name)
    if env is None:
        raise LookupError(f"StoreEnvironment {namespace}/{name}")
    status, spec = _status(env), env.get("spec") or {}
    store = status.get("store") or {}
    observation = status.get("observation") or {}
    deployed = status.get("lastDeployed") or {}
    facts = _facts(
        (
            ("role", e(spec.get("role"))),
            (
                "store",
                f"{e(store.get('name'))} <code>{e((spec.get('store') or {}).get('hash'))}</code>",
            ),
            ("domain", e(store.get("domain"))),
            ("time zone", e(spec.get("timezone") or store.get("timezone"))),
            ("currency", e(store.get("currency"))),
            ("ready", _ready(env)),
            ("drift", _drift(env)),
            ("writes", "suspended" if spec.get("suspend") else ""),
            ("observation", e(observation.get("mode"))),
            ("last checked (UTC)", e(status.get("lastCheckedAt"))),
            ("last synced revision", e(status.get("lastSyncedRevision"))),
            (
                "last deployed",
                e(" ".join(str(deployed.get(k) or "") for k in ("snapshot", "deployment", "at"))),
            ),
        )
    )
    drift = status.get("drift") or {}
    counts = _table(
        ("kind", "missing", "extra", "changed"),
        [
            (e(kind), e(c.get("missing", 0)), e(c.get("extra", 0)), e(c.get("changed", 0)))
            for kind, c in sorted((drift.get("counts") or {}).items())
        ],
        "No drift.",
    )
    samples = _table(
        ("kind", "key", "change", "fields"),
        [
            (
                e(s.get("kind")),
                f"<code>{e(s.get('key'))}</code>",
                e(s.get("change")),
                e(", ".join(str(f) for f in s.get("fields") or [])),
            )
            for s in drift.get("samples") or []
        ],
        "No samples.",
    )
    releases, nav = paged(
        _releases(view, namespace, name),
        page,
        per_page,
        object_path("StoreEnvironment", namespace, name),
    )
    history = _table(
        ("when (UTC)", "deployment", "phase", "plan", "rollback snapshot", "review"),
        [
            (
                e(when),
                link(object_path("StoreDeployment", namespace, dep), dep),
                e(t.get("phase")),
                _plan_counts(t),
                _snapshot_link(namespace, t.get("rollbackSnapshot")) or "-",
                link(target_path(namespace, dep, name), "plan"),
            )
            for when, dep, t in releases
        ],
        "No releases yet.",
    )
    body = (
        f"<h1>StoreEnvironment {e(namespace)}/{e(name)}</h1>{facts}"
        f"<h2>Drift</h2>{counts}{samples}<h2>Releases</h2>{nav}{history}{nav}"
    )
    return layout(f"{namespace}/{name}", body)


def _releases(
    view: ClusterView, namespace: str, environment: str
) -> list[tuple[str, str, Mapping[str, Any]]]:
    """The deployments' targets on this environment, newest first."""
    found = []
    for deployment in view.list("StoreDeployment"):
        dep_namespace, dep = _meta(deployment)
        if dep_namespace != namespace:
            continue
        for t in _status(deployment).get("targets") or []:
            if environment_of(t) == environment:
                when = t.get("finishedAt") or t.get("startedAt") or t.get("scheduledFor") or ""
                found.append((str(when), dep, t))
    found.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return found


# ---- deployments ------------------------------------------------------------------------------------


def deployments(view: ClusterView, page: int, per_page: int) -> str:
    """Every deployment with its targets: phase, schedule in local time and UTC, plan."""
    shown, nav = paged(view.list("StoreDeployment"), page, per_page, "/deployments")
    rows = []
    for deployment in shown:
        namespace, name = _meta(deployment)
        status = _status(deployment)
        for t in status.get("targets") or [{}]:
            target = str(t.get("name") or "")
            rows.append(
                (
                    link(object_path("StoreDeployment", namespace, name), f"{namespace}/{name}"),
                    e(status.get("phase")),
                    link(object_path("StoreEnvironment", namespace, environment_of(t)), target)
                    if target
                    else "-",
                    e(t.get("phase")),
                    e(t.get("scheduledLocal")),
                    e(t.get("scheduledFor")),
                    _plan_counts(t),
                    link(target_path(namespace, name, target), "plan") if target else "",
                )
            )
    table = _table(
        (
            "deployment",
            "phase",
            "target",
            "target phase",
            "scheduled (local)",
            "scheduled (UTC)",
            "plan",
            "review",
        ),
        rows,
        "No deployments.",
    )
    return layout("Deployments", f"<h1>Deployments</h1>{nav}{table}{nav}")


def deployment(view: ClusterView, namespace: str, name: str) -> str:
    """One deployment: what it releases, its approval, and each target."""
    found = view.get("StoreDeployment", namespace, name)
    if found is None:
        raise LookupError(f"StoreDeployment {namespace}/{name}")
    status, spec = _status(found), found.get("spec") or {}
    snapshot = ((spec.get("catalog") or {}).get("snapshotRef") or {}).get("name")
    approval = status.get("approval") or {}
    required = (spec.get("approval") or {}).get("required")
    facts = _facts(
        (
            ("phase", e(status.get("phase"))),
            ("ready", _ready(found)),
            (
                "catalog",
                _snapshot_link(namespace, snapshot),
            ),
            ("theme", "yes" if spec.get("theme") else ""),
            ("scripts", "yes" if spec.get("scripts") else ""),
            (
                "approval",
                "required"
                if required
                else "for production targets"
                if required is None
                else "not required",
            ),
            ("approved by", e(f"{approval.get('by')} at {approval.get('at')}") if approval else ""),
        )
    )
    rows = []
    for t in status.get("targets") or []:
        target = str(t.get("name") or "")
        rows.append(
            (
                link(object_path("StoreEnvironment", namespace, target), target),
                e(t.get("phase"))
                + (
                    f' <span class="muted">{e(t.get("progress"))}</span>'
                    if t.get("progress")
                    else ""
                ),
                e(t.get("scheduledLocal")),
                e(t.get("scheduledFor")),
                e(t.get("scheduleNote")),
                _plan_counts(t),
                f"<code>{e(t.get('planDigest'))}</code>" if t.get("planDigest") else "",
                _snapshot_link(namespace, t.get("rollbackSnapshot")) or "",
                e("; ".join(str(x) for x in t.get("errors") or [])),
                link(target_path(namespace, name, target), "plan"),
            )
        )
    table = _table(
        (
            "target",
            "phase",
            "scheduled (local)",
            "scheduled (UTC)",
            "note",
            "plan",
            "digest",
            "rollback snapshot",
            "errors",
            "review",
        ),
        rows,
        "No target planned yet.",
    )
    body = f"<h1>StoreDeployment {e(namespace)}/{e(name)}</h1>{facts}<h2>Targets</h2>{table}"
    return layout(f"{namespace}/{name}", body)


def target_review(
    view: ClusterView,
    shelved: Shelved | None,
    namespace: str,
    name: str,
    target: str,
    page: int,
    per_page: int,
) -> str:
    """A target's plan as the review page (paged), with its phase, schedule and approval."""
    found = view.get("StoreDeployment", namespace, name)
    if found is None:
        raise LookupError(f"StoreDeployment {namespace}/{name}")
    status = _status(found)
    t: Mapping[str, Any] = next(
        (x for x in status.get("targets") or [] if x.get("name") == target), {}
    )
    if not t and shelved is None:
        raise LookupError(f"target {target} of StoreDeployment {namespace}/{name}")
    approval = status.get("approval") or {}
    facts = _facts(
        (
            (
                "deployment",
                link(object_path("StoreDeployment", namespace, name), f"{namespace}/{name}"),
            ),
            ("target", link(object_path("StoreEnvironment", namespace, target), target)),
            ("phase", e(t.get("phase"))),
            ("scheduled (local)", e(t.get("scheduledLocal"))),
            ("scheduled (UTC)", e(t.get("scheduledFor"))),
            (
                "plan digest",
                f"<code>{e(t.get('planDigest'))}</code>" if t.get("planDigest") else "",
            ),
            ("approved by", e(approval.get("by"))),
            (
                "rollback snapshot",
                _snapshot_link(namespace, t.get("rollbackSnapshot")) or "",
            ),
        )
    )
    heading = f"Plan of {namespace}/{name} for {target}"
    if shelved is None:
        body = (
            f"<h1>{e(heading)}</h1>{facts}<p>The operator has not planned this target since it "
            "started, or kept newer plans in its place (plans are kept in its memory, within a "
            f"bound). Its status shows: {_plan_counts(t)}.</p>"
        )
        return layout(heading, body)
    notes = []
    if t.get("planDigest") and shelved.digest and shelved.digest != t.get("planDigest"):
        notes.append(
            f'<p class="refused">This plan ({e(shelved.digest)}) is not the one the status '
            f"shows ({e(t.get('planDigest'))}): the target was planned again since.</p>"
        )
    url = target_path(namespace, name, target)
    review = review_body(
        shelved.review,
        page=page,
        per_page=per_page,
        page_link=lambda n: f"{url}?page={n}",
        heading=heading,
    )
    title, _, rest = review.partition("\n")
    return layout(heading, "\n".join([title, facts, *notes, rest]))


# ---- snapshots --------------------------------------------------------------------------------------


def snapshots(view: ClusterView, page: int, per_page: int) -> str:
    """Every snapshot: source, revision, counts."""
    shown, nav = paged(view.list("CatalogSnapshot"), page, per_page, "/snapshots")
    rows = []
    for snap in shown:
        namespace, name = _meta(snap)
        status = _status(snap)
        rows.append(
            (
                link(object_path("CatalogSnapshot", namespace, name), f"{namespace}/{name}"),
                _ready(snap),
                e(", ".join(sorted((snap.get("spec") or {}).get("source") or {}))),
                f"<code>{e(str(status.get('revision') or '')[:12])}</code>",
                _counts(status),
            )
        )
    table = _table(("snapshot", "ready", "source", "revision", "records"), rows, "No snapshots.")
    return layout("Snapshots", f"<h1>Snapshots</h1>{nav}{table}{nav}")


def _counts(status: Mapping[str, Any]) -> str:
    return e(", ".join(f"{k} {v}" for k, v in sorted((status.get("counts") or {}).items())))


def snapshot(view: ClusterView, namespace: str, name: str) -> str:
    """One snapshot: where it is read from, what it holds, its errors, whose rollback it is."""
    snap = view.get("CatalogSnapshot", namespace, name)
    if snap is None:
        raise LookupError(f"CatalogSnapshot {namespace}/{name}")
    status = _status(snap)
    source = (snap.get("spec") or {}).get("source") or {}
    git = source.get("git") or (source.get("capture") or {}).get("git") or {}
    rollback_of = [
        (dep, str(t.get("name")))
        for deployment in view.list("StoreDeployment")
        if _meta(deployment)[0] == namespace
        for dep in [_meta(deployment)[1]]
        for t in _status(deployment).get("targets") or []
        if t.get("rollbackSnapshot") == name
    ]
    facts = _facts(
        (
            ("ready", _ready(snap)),
            ("source", e(", ".join(sorted(source)))),
            ("repository", e(git.get("url"))),
            ("ref", e(git.get("ref") or git.get("branch"))),
            ("path", e(git.get("path"))),
            (
                "revision",
                f"<code>{e(status.get('revision'))}</code>" if status.get("revision") else "",
            ),
            ("records", _counts(status)),
            ("captured from", e(status.get("capturedFrom"))),
            ("last fetched (UTC)", e(status.get("lastFetchedAt"))),
            (
                "rollback snapshot of",
                ", ".join(
                    link(target_path(namespace, dep, target), f"{dep} ({target})")
                    for dep, target in rollback_of
                ),
            ),
        )
    )
    errors = _table(
        ("file", "line", "field", "problem"),
        [
            (e(x.get("file")), e(x.get("line")), e(x.get("field")), e(x.get("message")))
            for x in status.get("errors") or []
        ],
        "No errors.",
    )
    body = f"<h1>CatalogSnapshot {e(namespace)}/{e(name)}</h1>{facts}<h2>Errors</h2>{errors}"
    return layout(f"{namespace}/{name}", body)


def not_found(what: str) -> str:
    """The page of something the operator does not have."""
    return layout("Not found", f"<h1>Not found</h1><p>{e(what)}: not found.</p>")
