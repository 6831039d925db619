"""A fresh clone without the official API specs: their tests skip saying how to get them, and CI,
which always has them, fails when they are missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

CONFORMANCE = "tests/test_emulator_conformance.py"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["STAGINGPRO_API_SPECS"] = str(tmp_path / "no-specs")
    return {**env, **extra}


def _pytest(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", CONFORMANCE, "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_the_specs_their_tests_skip_saying_how_to_get_them(tmp_path: Path) -> None:
    result = _pytest(_env(tmp_path))
    assert result.returncode == 0, result.stdout[-2000:]
    assert " skipped" in result.stdout
    assert " passed" not in result.stdout
    assert "failed" not in result.stdout
    assert f"not at {tmp_path / 'no-specs'}" in result.stdout
    assert "git clone https://github.com/bigcommerce/docs" in result.stdout
    assert "STAGINGPRO_API_SPECS" in result.stdout


def test_in_ci_missing_specs_fail_the_tests(tmp_path: Path) -> None:
    result = _pytest(_env(tmp_path, CI="true"))
    assert result.returncode == 1
    summary = result.stdout.strip().splitlines()[-1]
    assert "error" in summary or "failed" in summary, summary
    assert "skipped" not in summary
    assert "git clone https://github.com/bigcommerce/docs" in result.stdout


def test_the_ci_script_refuses_to_run_without_the_specs(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(ROOT / ".ci" / "run")],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"error: the official BigCommerce OpenAPI specs are not at {tmp_path / 'no-specs'}"
    )
    assert result.stdout == ""  # nothing installed, no test run
