"""The review as Markdown, for a pull request comment or a CI job summary. Everything from the store
or the catalog is escaped: it can neither format, link, nor carry HTML."""

from __future__ import annotations

import html
import re

from controller.catalog.kinds import PLAN_ORDER
from controller.review.model import Entry, Review, Row
from controller.text import plural

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape(text: str) -> str:
    """Text that Markdown shows as written, on one line (HTML entities for <, > and &)."""
    text = html.escape(text, quote=False)
    text = " ".join(text.splitlines())
    return _SPECIAL.sub(r"\\\1", text)


def _code(text: str) -> str:
    """An inline code span that no backtick in `text` can close."""
    text = " ".join(text.splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fenced(lines: list[str], language: str) -> list[str]:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *lines, fence]


def render_markdown(review: Review, *, limit: int | None = None) -> str:
    """The review page in Markdown; at most `limit` records (None: all)."""
    out = [f"## StagingPro plan for {escape(review.store)}", ""]
    facts = [f"from {_code(review.source)}"]
    if review.revision:
        facts.append(f"revision {_code(review.revision)}")
    if review.made_at:
        facts.append(f"made {escape(review.made_at)}")
    out += ["Plan " + ", ".join(facts) + ".", ""]
    for problem in review.problems:
        out += [f"> **Refused:** {escape(problem)}", ""]
    if review.migration:
        summary, *products = review.migration
        out += ["### Catalog V2 to V3 migration, before the rest", "", f"{escape(summary)}.", ""]
        out += [*(f"- {escape(p)}" for p in products), ""]
    if review.in_sync:
        out += [f"**In sync:** {review.nothing_to_change}.", ""]
    else:
        out += ["| kind | create | update | delete |", "|---|---:|---:|---:|"]
        for kind in PLAN_ORDER:
            if kind in review.counts:
                c = review.counts[kind]
                out.append(f"| {kind} | {c['create']} | {c['update']} | {c['delete']} |")
        out += ["", f"{escape(review.estimate())}.", ""]
        if review.channels:
            out += [f"{escape(review.by_channel())}.", ""]
    if review.out_of_scope:
        out += [f"{escape(review.left_out())}.", ""]
    if review.skipped_deletes:
        out += [
            f"{plural(review.skipped_deletes, 'item')} in the store "
            f"{'is' if review.skipped_deletes == 1 else 'are'} not in the catalog (kept: "
            "the plan does not prune).",
            "",
        ]
    shown = review.entries if limit is None else review.entries[:limit]
    section: str | None = None
    for entry in shown:
        if entry.kind != section:
            section = entry.kind
            out += [f"### {section}", ""]
        out += _entry(entry)
    if len(review.entries) > len(shown):
        out += [f"... and {len(review.entries) - len(shown)} more changes.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _entry(entry: Entry) -> list[str]:
    heading = f"#### {entry.symbol} {entry.action} {_code(entry.key)}"
    if entry.channel:
        heading += f" [{escape(entry.channel)}]"
    if entry.title:
        heading += f" {escape(entry.title)}"
    out = [heading, ""]
    if entry.image:
        src = html.escape(entry.image, quote=True)
        out += [f'<img src="{src}" alt="" width="64" height="64">', ""]
    if entry.takes:
        out += [f"Deleting it: {escape(entry.takes)}.", ""]
    table = [row for row in entry.rows if not row.diff]
    if table:
        money = any(row.change for row in table)
        out.append("| field | before | after |" + (" change |" if money else ""))
        out.append("|---|---|---|" + ("---|" if money else ""))
        for row in table:
            out.append(_row(row, money))
        out.append("")
    for row in entry.rows:
        if row.diff:
            out += [f"{_code(row.field)}:", "", *_fenced(list(row.diff), "diff"), ""]
    return out


def _row(row: Row, money: bool) -> str:
    cells = [_code(row.field), escape(row.before), escape(row.after)]
    if money:
        cells.append(escape(row.change))
    return "| " + " | ".join(cells) + " |"
