"""Sub-commands beyond `crds`; each module registers its own parser here."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the sub-commands to the parser."""
