"""The container image, as far as it can be checked without a Docker engine: the Dockerfile's
properties, and its entry command run from a freshly built wheel in a clean virtual environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.support.gitservers import free_port
from tests.support.kube import KubeThread, kubeconfig
from tests.support.waiting import wait_until


def instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (k, _) in enumerate(steps) if k == "FROM")
    return steps[last_from:]


def test_the_dockerfile_builds_in_stages_from_a_slim_base() -> None:
    froms = [rest for keyword, rest in instructions() if keyword == "FROM"]
    assert len(froms) >= 2
    assert all("slim" in f for f in froms)
    run = " ".join(rest for keyword, rest in instructions() if keyword == "RUN")
    assert "--constraint requirements.lock" in run


def test_the_image_runs_the_operator_as_a_non_root_user_with_git() -> None:
    stage = dict(reversed(final_stage()))  # the first occurrence of each keyword wins
    user = stage["USER"].split(":")[0]
    assert user.isdigit()
    assert int(user) != 0
    assert json.loads(stage["ENTRYPOINT"]) == ["stagingpro", "operator"]
    assert "/var/cache/stagingpro" in stage["VOLUME"]
    installs = " ".join(rest for keyword, rest in final_stage() if keyword == "RUN")
    assert "git" in installs.split()
    labels = " ".join(rest for keyword, rest in final_stage() if keyword == "LABEL")
    for key in ("title", "description", "version", "licenses", "source"):
        assert f"org.opencontainers.image.{key}=" in labels


@pytest.mark.slow
def test_the_entry_command_starts_the_operator_from_an_installed_wheel(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path / "w"),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    wheel = next((tmp_path / "w").glob("stagingpro-*.whl"))
    subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "-q",
            "--constraint",
            str(ROOT / "requirements.lock"),
            str(wheel),
        ],
        check=True,
        timeout=600,
    )
    stage = dict(reversed(final_stage()))
    entrypoint = json.loads(stage["ENTRYPOINT"])
    port = free_port()
    with KubeThread() as kube:
        kube.api.add_namespace("shop")
        env = {**os.environ, "KUBECONFIG": str(kubeconfig(tmp_path / "kubeconfig", kube.url))}
        command = [
            str(venv / "bin" / entrypoint[0]),
            *entrypoint[1:],
            "--namespace",
            "shop",
            "--standalone",
            "--health-port",
            str(port),
            "--metrics-port",
            "0",
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path
        )
        try:

            def alive() -> bool:
                assert process.poll() is None, "the operator exited"
                try:
                    return (
                        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
                    )
                except httpx.TransportError:
                    return False

            wait_until("the operator's liveness probe", alive, timeout=60)
        finally:
            process.terminate()
            assert process.wait(timeout=30) == 0
