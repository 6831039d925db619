"""The README's first command, on a shorter timeline: the whole workflow, end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_demo_runs_the_whole_workflow_and_cleans_up(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "controller.demo", "--fast", "--workdir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "sandbox cloned: SKU NW-SHT-FLAN-M is product" in out
    assert "~ RS-SHT-TECH-M: price 39 -> 34" in out
    assert "+ NW-HAT-BEANIE: Winter Beanie (new)" in out
    assert "(America/New_York)" in out
    assert "waiting for approval" in out
    assert "Succeeded: {'products': {'created': 1, 'updated': 1}}" in out
    assert "drift: changed products SP-BOOT-ALP price" in out
    assert "metrics were served at http://127.0.0.1:" in out
    leftover = subprocess.run(
        ["pgrep", "-f", f"--db {tmp_path / 'demo'}"], capture_output=True, text=True
    )
    assert leftover.stdout == ""
