"""Wording for people: plural forms, "did you mean" suggestions, the changed region of a text."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 product`, `2 products` (`nouns` for irregular plurals: `1 category`, `2 categories`)."""
    if count == 1:
        return f"{count} {noun}"
    if nouns is None:
        nouns = (
            noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
        )
    return f"{count} {nouns}"


def did_you_mean(wrong: str, choices: Iterable[str]) -> str:
    """` (did you mean 'X'?)` for the closest of `choices` (compared without case), else ``."""
    by_folded = {choice.casefold(): choice for choice in choices}
    close = difflib.get_close_matches(wrong.casefold(), list(by_folded), n=1, cutoff=0.6)
    return f" (did you mean {by_folded[close[0]]!r}?)" if close else ""


def long_text(before: Any, after: Any) -> bool:
    """Whether a change is of a long or multi-line text (shown as a diff of its changed region)."""
    texts = [v for v in (before, after) if v is not None]
    return all(isinstance(v, str) for v in texts) and any(len(v) > 60 or "\n" in v for v in texts)


def text_diff(before: str, after: str, context: int = 30) -> list[str]:
    """The changed region of a long text, as Terraform shows it: a unified diff of the changed
    lines for multi-line text, else the changed span of the one line with some context."""
    if "\n" in before or "\n" in after:
        lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1)
        return [line for line in lines if not line.startswith(("---", "+++"))]
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end = 0
    while end < limit - start and before[-1 - end] == after[-1 - end]:
        end += 1
    head = ("..." if start > context else "") + before[max(0, start - context) : start]

    def changed(text: str) -> str:
        middle = text[start : len(text) - end]
        tail = text[len(text) - end :][:context] + ("..." if end > context else "")
        return f"{head}{middle}{tail}"

    return [f"- {changed(before)}", f"+ {changed(after)}"]
