"""The review as one self-contained HTML page (inline CSS, no script at all: its Content Security
Policy forbids scripts, so nothing from store data can run even where a browser would). Everything
from the store or the catalog is escaped; images load only from http(s) URLs."""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

from controller.catalog.kinds import PLAN_ORDER
from controller.review.model import Entry, Review, Row
from controller.text import plural

CSP = "default-src 'none'; img-src https: http:; style-src 'unsafe-inline'; form-action 'none'"

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:70rem;
padding:0 1rem;color:#1d2125}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
.facts{color:#555}.refused{background:#fde8e8;border-left:4px solid #c0392b;padding:.5rem 1rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .6rem;
text-align:left;vertical-align:top}td.n,th.n{text-align:right}
.entry{border:1px solid #e3e3e3;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}
.entry h3{font-size:1rem;margin:0 0 .4rem;display:flex;gap:.6rem;align-items:center}
.entry img{width:64px;height:64px;object-fit:cover;border:1px solid #ddd;border-radius:4px}
.create h3 .sym{color:#1e8449}.update h3 .sym{color:#b9770e}.delete h3 .sym{color:#c0392b}
.takes{color:#c0392b}.up{color:#1e8449}.down{color:#c0392b}
.entry h3 .channel{font-size:.8rem;background:#e8eef7;border-radius:3px;padding:0 .4rem}
pre.diff{background:#f6f8fa;padding:.5rem;overflow-x:auto;white-space:pre-wrap}
pre.diff .del{background:#ffeef0;display:block}pre.diff .ins{background:#e6ffed;display:block}
code{background:#f3f3f3;padding:0 .2rem;border-radius:3px}nav.pages{margin:1rem 0}
nav.pages a,nav.pages span{margin-right:.6rem}
"""


def document(title: str, body: str, style: str = STYLE) -> str:
    """A complete page: UTF-8, the CSP that forbids scripts, the stylesheet."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{style}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def render_html(
    review: Review,
    *,
    page: int = 1,
    per_page: int | None = None,
    page_link: Callable[[int], str] | None = None,
    heading: str = "",
) -> str:
    """The review page; with `per_page`, only that page of records, linked to the others by
    `page_link(n)` (the page's URL)."""
    return document(
        f"Plan for {review.store}",
        review_body(review, page=page, per_page=per_page, page_link=page_link, heading=heading),
    )


def review_body(
    review: Review,
    *,
    page: int = 1,
    per_page: int | None = None,
    page_link: Callable[[int], str] | None = None,
    heading: str = "",
) -> str:
    """The review's HTML without the page around it."""
    out = [f"<h1>{escape(heading or 'Plan for ' + review.store)}</h1>"]
    facts = [f"from <code>{escape(review.source)}</code>"]
    if review.revision:
        facts.append(f"revision <code>{escape(review.revision)}</code>")
    if review.made_at:
        facts.append(f"made {escape(review.made_at)}")
    out.append(f'<p class="facts">Plan for {escape(review.store)} {", ".join(facts)}.</p>')
    for problem in review.problems:
        out.append(f'<p class="refused"><strong>Refused:</strong> {escape(problem)}</p>')
    if review.migration:
        summary, *products = review.migration
        out.append("<h2>Catalog V2 to V3 migration, before the rest</h2>")
        out.append(f"<p>{escape(summary)}.</p>")
        out.append("<ul>" + "".join(f"<li>{escape(p)}</li>" for p in products) + "</ul>")
    if review.in_sync:
        out.append(f'<p class="insync"><strong>In sync:</strong> {review.nothing_to_change}.</p>')
    else:
        out.append(
            '<table class="counts"><tr><th>kind</th><th class="n">create</th>'
            '<th class="n">update</th><th class="n">delete</th></tr>'
        )
        for kind in PLAN_ORDER:
            if kind in review.counts:
                c = review.counts[kind]
                out.append(
                    f'<tr><td>{escape(kind)}</td><td class="n">{c["create"]}</td>'
                    f'<td class="n">{c["update"]}</td><td class="n">{c["delete"]}</td></tr>'
                )
        out.append("</table>")
        out.append(f'<p class="estimate">{escape(review.estimate())}.</p>')
        if review.channels:
            out.append(f'<p class="channels">{escape(review.by_channel())}.</p>')
    if review.out_of_scope:
        out.append(f'<p class="left-out">{escape(review.left_out())}.</p>')
    if review.skipped_deletes:
        out.append(
            f"<p>{plural(review.skipped_deletes, 'item')} in the store not in the catalog are "
            "kept (the plan does not prune).</p>"
        )
    entries = review.entries
    pages = 1
    if per_page is not None and entries:
        pages = max(1, math.ceil(len(entries) / per_page))
        page = min(max(1, page), pages)
        entries = entries[(page - 1) * per_page : page * per_page]
    navigation = pages_nav(page, pages, page_link) if pages > 1 else ""
    out.append(navigation)
    section: str | None = None
    for entry in entries:
        if entry.kind != section:
            section = entry.kind
            out.append(f"<h2>{escape(section)}</h2>")
        out.append(_entry(entry))
    out.append(navigation)
    return "\n".join(part for part in out if part)


def pages_nav(page: int, pages: int, link: Callable[[int], str] | None) -> str:
    """Links to the first, previous, next and last pages (`link(n)`: a page's URL)."""
    items = []
    for n in sorted({1, page - 1, page, page + 1, pages} & set(range(1, pages + 1))):
        if n == page or link is None:
            items.append(f"<span>page {n} of {pages}</span>" if n == page else f"<span>{n}</span>")
        else:
            items.append(f'<a href="{escape(link(n), quote=True)}">{n}</a>')
    return f'<nav class="pages">{"".join(items)}</nav>'


def _entry(entry: Entry) -> str:
    out = [f'<section class="entry {entry.action}">', "<h3>"]
    if entry.image:
        out.append(f'<img src="{escape(entry.image, quote=True)}" alt="" loading="lazy">')
    out.append(
        f'<span class="sym">{entry.symbol}</span> {escape(entry.action)} '
        f"<code>{escape(entry.key)}</code>"
        + (f' <span class="channel">{escape(entry.channel)}</span>' if entry.channel else "")
        + (f' <span class="title">{escape(entry.title)}</span>' if entry.title else "")
    )
    out.append("</h3>")
    if entry.takes:
        out.append(f'<p class="takes">Deleting it: {escape(entry.takes)}.</p>')
    table = [row for row in entry.rows if not row.diff]
    if table:
        money = any(row.change for row in table)
        out.append(
            "<table><tr><th>field</th><th>before</th><th>after</th>"
            + ("<th>change</th>" if money else "")
            + "</tr>"
        )
        out += [_row(row, money) for row in table]
        out.append("</table>")
    for row in entry.rows:
        if row.diff:
            out.append(f"<p><code>{escape(row.field)}</code>:</p>{_diff(row)}")
    out.append("</section>")
    return "\n".join(out)


def _row(row: Row, money: bool) -> str:
    cells = [f"<code>{escape(row.field)}</code>", escape(row.before), escape(row.after)]
    if money:
        trend = "up" if row.change.startswith("+") else "down" if row.change.startswith("-") else ""
        cells.append(f'<span class="{trend}">{escape(row.change)}</span>')
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _diff(row: Row) -> str:
    lines = []
    for line in row.diff:
        css = "del" if line.startswith("-") else "ins" if line.startswith("+") else ""
        text = escape(line)
        lines.append(f'<span class="{css}">{text}</span>' if css else text)
    return '<pre class="diff">' + "\n".join(lines) + "</pre>"
