"""Stencil theme bundles (zip files with a `config.json`)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any


def edit_config(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The bundle with its `config.json` changed in place by `change`; every other file as is."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "config.json":
                config = json.loads(content)
                change(config)
                content = json.dumps(config, indent=2).encode()
            target.writestr(info, content)
    return out.getvalue()
