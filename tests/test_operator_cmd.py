"""`stagingpro operator` misconfigured: one line naming the problem, exit 1, no retry loop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def operator(tmp_path: Path, *args: str, kubeconfig: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    env.update(KUBECONFIG=kubeconfig, HOME=str(tmp_path))
    return subprocess.run(
        [sys.executable, "-m", "controller", "operator", "--namespace", "shop", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_without_a_kubeconfig_the_operator_says_so_in_one_line_and_exits_1(
    tmp_path: Path,
) -> None:
    result = operator(
        tmp_path, "--cache-dir", str(tmp_path / "cache"), kubeconfig=str(tmp_path / "none")
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no Kubernetes configuration" in lines[0]


def test_an_unwritable_cache_directory_is_one_line_and_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = operator(
        tmp_path, "--cache-dir", str(blocker / "cache"), kubeconfig=str(tmp_path / "none")
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"cache directory {blocker / 'cache'} is not writable" in lines[0]
