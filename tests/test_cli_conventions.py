"""The CLI keeps the conventions it claims: exit codes, prompts, Ctrl-C, pipes, timeouts, offline
validation, catalogs that say what is wrong with them. The real entry point against the emulator."""

from __future__ import annotations

import io
import json
import os
import pty
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.cli import main
from controller.cli.render import ProgressLine
from controller.emulator import Emulator
from controller.emulator.control import FaultConfig
from controller.engine import ApplyResult
from controller.planner import plan
from controller.stores import RateGovernor
from tests.conftest import PROD_TOKEN
from tests.support.builders import desired, observed
from tests.support.waiting import wait_until
from tests.test_cli import EXAMPLE, cli, served, store, writes

__all__ = ["served", "store"]  # the fixtures, shared with test_cli


def start(*args: str, text: bool = True, **kwargs: Any) -> subprocess.Popen[Any]:
    """The CLI as a running process, its output piped (for signals, prompts and pipes)."""
    return subprocess.Popen(
        [sys.executable, "-m", "controller", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=text,
        env={**os.environ, "STAGINGPRO_STORE_TOKEN": PROD_TOKEN, "NO_COLOR": "1"},
        **kwargs,
    )


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose connections are accepted by the kernel and never answered."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`main()` as the entry point calls it: the exit code, stdout and stderr."""
    try:
        code = main(list(args))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGINGPRO_STORE_TOKEN", PROD_TOKEN)
    monkeypatch.setenv("NO_COLOR", "1")


def test_usage_errors_exit_1_since_2_means_changes(
    served: Emulator, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = cli("plan")  # the process itself, once
    assert missing.returncode == 1
    assert "usage: stagingpro plan" in missing.stderr
    url = served.store_url(store)
    for args, message in [
        (
            ("plan", str(EXAMPLE), "--store", url, "--max-delete-percent", "lots"),
            "argument --max-delete-percent: 'lots' must be a whole number from 0 to 100",
        ),
        (
            ("plan", str(EXAMPLE), "--store", url, "--timeout", "soon"),
            "argument --timeout: 'soon' must be a number of seconds",
        ),
        (("run", ".", "--tick", "often"), "argument --tick: 'often' must be a number"),
    ]:
        code, _, err = in_process(capsys, *args)
        assert code == 1
        assert err.strip().endswith(message)


def test_verbose_works_after_the_command(served: Emulator, store: str) -> None:
    result = cli("plan", str(EXAMPLE), "--store", served.store_url(store), "--verbose")
    assert result.returncode == 2
    assert "--verbose shows all" not in result.stdout
    assert result.stdout.count("+ products ") == 30


def test_declining_the_prompt_exits_1_and_writes_nothing(served: Emulator, store: str) -> None:
    primary, secondary = pty.openpty()
    try:
        process = start("apply", str(EXAMPLE), "--store", served.store_url(store), stdin=secondary)
        os.write(primary, b"n\n")
        out, _ = process.communicate(timeout=60)
    finally:
        os.close(primary)
        os.close(secondary)
    assert process.returncode == 1
    assert out.strip().endswith("Apply cancelled: nothing applied.")
    assert writes(served, store) == 0


def test_ctrl_c_during_apply_says_what_was_applied_and_what_remains(
    served: Emulator, store: str
) -> None:
    faults = served.control(store).faults
    # the store stops answering after 5 products: Ctrl-C comes there, mid-apply
    faults.configure(FaultConfig(hold_after={"POST /v3/catalog/products": 5}))
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # A shell ran the tests in the background, ignoring SIGINT, which children inherit
        # (a handler is not inherited: the child gets Python's own, as at a terminal).
        signal.signal(signal.SIGINT, signal.default_int_handler)
    process = start("apply", str(EXAMPLE), "--store", served.store_url(store), "--yes")
    wait_until("the apply to be held mid-write", lambda: faults.held, timeout=60)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    faults.configure(FaultConfig())
    assert process.returncode == 130, err
    assert "Traceback" not in err
    lines = out.splitlines()
    summary = next(line for line in lines if line.startswith("Interrupted: "))
    done, total = summary.removeprefix("Interrupted: ").split(" changes")[0].split(" of ")
    # brands and categories, then 5 of 30 products; 25 products and the script remain
    assert (int(done), int(total)) == (54 - 26, 54)
    assert f"{int(total) - int(done)} not applied" in summary
    assert any(line.endswith(" not applied") and line.startswith("  ") for line in lines)
    assert lines[-1] == "Run the same apply again to finish: it plans from what the store has now."


def test_a_plan_piped_into_head_ends_quietly(served: Emulator, store: str, tmp_path: Path) -> None:
    catalog = tmp_path / "big"
    catalog.mkdir()
    (catalog / "products.jsonl").write_text(
        "".join(
            json.dumps({"sku": f"SKU-{i:05}", "name": f"Product {i}", "type": "physical"}) + "\n"
            for i in range(3000)
        )
    )
    process = start(
        "plan", str(catalog), "--store", served.store_url(store), "--verbose", text=False
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # as `| head -1` does: read a line, then go away
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    assert first.startswith(b"Plan for ")
    assert err == b""
    assert process.returncode == 141


@pytest.mark.usefixtures("token")
def test_plan_with_an_environment_previews_what_the_operator_would_do(
    served: Emulator, store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served.store_url(store)
    assert in_process(capsys, "apply", str(EXAMPLE), "--store", url, "--yes")[0] == 0
    catalog = tmp_path / "catalog"
    shutil.copytree(EXAMPLE, catalog)
    (catalog / "products" / "CC-BTL-GLASS.yaml").unlink()
    glass = yaml.safe_load((EXAMPLE / "products" / "CC-BTL-GLASS.yaml").read_text())
    jacket = catalog / "products" / "CC-JKT-CHORE-M.yaml"
    item = yaml.safe_load(jacket.read_text())
    jacket.write_text(yaml.safe_dump({**item, "price": item["price"] + 10}))
    origin, store_hash = url.split("/stores/")
    environment = tmp_path / "env.yaml"
    environment.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "stagingpro.io/v1alpha1",
                "kind": "StoreEnvironment",
                "metadata": {"name": "prod"},
                "spec": {
                    "role": "production",
                    "store": {
                        "hash": store_hash,
                        "apiUrl": origin,
                        "credentialsSecretRef": {"name": "t", "key": "token"},
                    },
                    "syncPolicy": {"prune": True, "maxDeletePercent": 50},
                    "ignoreDifferences": [{"kind": "products", "fields": ["price"]}],
                },
            }
        )
    )
    code, out, err = in_process(
        capsys, "plan", str(catalog), "--environment", str(environment), "--output", "json"
    )
    assert code == 2, err
    steps = [(s["kind"], s["action"], s["key"]) for s in json.loads(out)["steps"]]
    assert ("products", "delete", glass["sku"].casefold()) in [
        (k, a, key.casefold()) for k, a, key in steps
    ]
    assert not [s for s in steps if s[1] == "update"]  # the price is ignored
    code, out, _ = in_process(
        capsys,
        *("plan", str(catalog), "--environment", str(environment), "--output", "json"),
        *("--max-delete-percent", "0"),
    )
    assert code == 1
    assert json.loads(out)["problems"]  # the flag overrides the manifest


def test_validate_checks_a_catalog_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STAGINGPRO_STORE_TOKEN", raising=False)
    code, out, _ = in_process(capsys, "validate", str(EXAMPLE))
    assert code == 0
    assert out.strip() == (
        f"{EXAMPLE}: valid (30 products, 114 variants, 35 custom fields, 30 images, "
        "4 brands, 19 categories, 1 script)"
    )
    (tmp_path / "products").mkdir()
    (tmp_path / "products" / "a.yaml").write_text(
        "sku: A\nname: A\ntype: physical\nprice: cheap\nweight: 1\nbrand: Acme\n"
    )
    (tmp_path / "brands.yaml").write_text("- name: ACME\n")
    (tmp_path / "categories.yml").write_text("- path: Shoes\n")
    code, _, err = in_process(capsys, "validate", str(tmp_path))
    assert code == 1
    assert err.splitlines() == [
        "error: 2 problems in the catalog:",
        f"  {tmp_path}/categories.yml: not part of a catalog (did you mean 'categories.yaml'?): "
        "a catalog holds channels.yaml, brands.yaml, categories.yaml, products.jsonl, products/, "
        "scripts.yaml, content/, price-lists.yaml, customer-groups.yaml, "
        "price-list-assignments.yaml, promotions.yaml, customer-attributes.yaml",
        f"  {tmp_path}/products/a.yaml:4: price: price must be a number",
    ]


@pytest.mark.usefixtures("token")
def test_unknown_directories_and_empty_catalogs_are_refused(
    served: Emulator, store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served.store_url(store)
    (tmp_path / "product").mkdir()
    shutil.copy(EXAMPLE / "products" / "CC-BTL-GLASS.yaml", tmp_path / "product")
    code, _, err = in_process(capsys, "plan", str(tmp_path), "--store", url)
    assert code == 1
    assert f"  {tmp_path}/product/: not part of a catalog (did you mean 'products/'?)" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = in_process(capsys, "plan", str(empty), "--store", url, "--prune")
    assert code == 1
    assert err.strip() == (
        f"error: catalog {empty} is empty: no channels.yaml, brands.yaml, categories.yaml, "
        "products.jsonl, "
        "products/*.yaml, scripts.yaml, content/pages/*.yaml, content/blog/*.yaml, "
        "content/widget-templates/*.yaml, content/widgets.yaml, content/placements.yaml, "
        "content/layouts/*.yaml, content/custom-templates.yaml, content/redirects.yaml, "
        "price-lists.yaml, customer-groups.yaml, price-list-assignments.yaml, promotions.yaml or "
        "customer-attributes.yaml "
        "(pass --allow-empty if that is meant)"
    )
    code, _, err = in_process(capsys, "plan", str(empty), "--store", url, "--allow-empty")
    assert code == 0, err
    assert writes(served, store) == 0


def test_a_store_that_does_not_answer_gives_up_at_the_timeout_in_one_line(
    silent_port: int,
) -> None:
    started = time.monotonic()
    result = cli(
        "plan",
        str(EXAMPLE),
        "--store",
        f"http://127.0.0.1:{silent_port}/stores/abc",
        "--timeout",
        "2",
    )
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: store abc: GET /v3/catalog/")
    assert lines[0].endswith(f": no answer from 127.0.0.1:{silent_port}: timed out after 2s")
    assert PROD_TOKEN not in result.stderr


def test_run_reports_secrets_and_unknown_kinds_among_its_manifests(tmp_path: Path) -> None:
    manifests, secrets = tmp_path / "m", tmp_path / "s"
    manifests.mkdir()
    secrets.mkdir()
    (manifests / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n"
    )
    (manifests / "token.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: tok}\nstringData: {token: x}\n"
    )
    (manifests / "env.yaml").write_text(
        "apiVersion: stagingpro.io/v1alpha1\nkind: StoreEnviroment\nmetadata: {name: prod}\n"
    )
    result = cli(
        "run", str(manifests), "--secrets", str(secrets), "--state", str(tmp_path / "st"), "--once"
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {manifests}/env.yaml: StoreEnviroment prod: not a StagingPro kind (did you mean "
        "'StoreEnvironment'?) (StoreEnvironment, CatalogSnapshot, StoreDeployment); "
        f"{manifests}/token.yaml: Secret tok: Secrets are read from --secrets, not from the manifests"
    )


def test_progress_shows_the_share_done_an_eta_from_the_quota_and_wall_time_waited() -> None:
    products = [{"sku": f"P{i}", "name": f"P{i}", "type": "physical"} for i in range(40)]
    to_apply = plan(desired(products), observed())
    assert to_apply.estimate_requests() == 40
    governor = RateGovernor()
    governor.observe(
        200,
        {
            "X-Rate-Limit-Requests-Quota": "5",
            "X-Rate-Limit-Requests-Left": "5",
            "X-Rate-Limit-Time-Reset-Ms": "1000",
            "X-Rate-Limit-Time-Window-Ms": "1000",
        },
    )  # 5 requests a second
    governor.wait_seconds = 2.5
    now = [100.0]
    stream = io.StringIO()
    progress = ProgressLine(to_apply, governor, stream, clock=lambda: now[0])
    now[0] += 1.0
    progress(ApplyResult(total=40, done=10, requests=10))
    now[0] += 1.0
    progress(ApplyResult(total=40, done=11, requests=11))  # the same tenth: no new line
    progress(ApplyResult(total=40, done=40, requests=40))
    assert stream.getvalue().splitlines() == [
        "applying: 25% (10/40 changes), 10 requests, about 6s left, "
        "2.5s waiting for the rate limit",
        "applying: 100% (40/40 changes), 40 requests, 2.5s waiting for the rate limit",
    ]
