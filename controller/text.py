"""Wording for people: plural forms and "did you mean" suggestions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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
