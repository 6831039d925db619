"""Notifications: each flavour reaches a local receiver in its own format (the webhook signed with
HMAC-SHA256 over timestamp and body, email over STARTTLS with AUTH), once per change of situation;
failing endpoints are retried with backoff and reported in the environment's status without holding
anything up, and no endpoint or credential shows in status."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from controller.emulator import Emulator
from controller.notify import Notifier, NotifySettings, happenings
from controller.standalone import FileWorld, Loop, services_for
from tests.conftest import PROD_TOKEN
from tests.support.manifests import access_to, write_secret
from tests.support.receivers import CERT, http_receiver, smtp_server

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 09:00 in New York
REVIEW = "https://review.example.test"
HMAC_KEY = "webhook-signing-key-123"
DEPLOYMENT = {"kind": "StoreDeployment", "metadata": {"name": "holiday", "namespace": "shop"}}
AWAITING = {
    "targets": [
        {
            "name": "production",
            "phase": "AwaitingApproval",
            "plan": {"products": {"create": 1, "update": 2, "delete": 0}},
            "estimatedRequests": 3,
        }
    ]
}


def target(phase: str, **fields: Any) -> dict[str, Any]:
    return {"targets": [{"name": "production", "phase": phase, **fields}]}


def world_with(
    tmp_path: Path, receivers: list[dict[str, Any]], secrets: dict[str, dict[str, str]]
) -> FileWorld:
    """A standalone world: the production environment with these receivers and Secrets."""
    manifests, secret_dir = tmp_path / "manifests", tmp_path / "secrets"
    manifests.mkdir()
    secret_dir.mkdir()
    environment = {
        "apiVersion": "stagingpro.io/v1alpha1",
        "kind": "StoreEnvironment",
        "metadata": {"name": "production", "namespace": "shop"},
        "spec": {
            "role": "production",
            "timezone": "America/New_York",
            "store": {
                "hash": "prodstore",
                "credentialsSecretRef": {"name": "production-store-token", "key": "token"},
            },
            "notifications": receivers,
        },
    }
    (manifests / "production.yaml").write_text(yaml.safe_dump(environment))
    for name, data in secrets.items():
        (secret_dir / f"{name}.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": name, "namespace": "shop"},
                    "stringData": data,
                }
            )
        )
    world = FileWorld(manifests, tmp_path / "state", secret_dir)
    world.refresh()
    return world


def notifier(world: FileWorld, attempts: int = 3) -> Notifier:
    settings = NotifySettings(attempts=attempts, first_retry=0.01, timeout=5, review_url=REVIEW)
    return Notifier(world, settings, clock=lambda: NOW)


def receiver_status(world: FileWorld) -> dict[str, dict[str, Any]]:
    found = world.status.get(("StoreEnvironment", "shop", "production"), {})
    return {r["name"]: r for r in found.get("notifications", [])}


async def test_each_flavour_gets_its_format_once_per_change(tmp_path: Path) -> None:
    async with http_receiver() as server:
        world = world_with(
            tmp_path,
            [
                {"name": "chat", "type": "slack", "secretRef": {"name": "slack"}},
                {"name": "office", "type": "teams", "secretRef": {"name": "teams"}},
                {"name": "hook", "type": "webhook", "secretRef": {"name": "hook"}},
                {
                    "name": "done-only",
                    "type": "webhook",
                    "secretRef": {"name": "done"},
                    "events": ["Succeeded"],
                },
            ],
            {
                "slack": {"address": f"{server.url}/slack"},
                "teams": {"address": f"{server.url}/teams"},
                "hook": {"address": f"{server.url}/hook", "token": HMAC_KEY},
                "done": {"address": f"{server.url}/done", "token": HMAC_KEY},
            },
        )
        notify = notifier(world)
        notify.written(DEPLOYMENT, AWAITING)
        assert server.received == []  # written() only schedules: nothing waits on a receiver
        notify.written(DEPLOYMENT, {"targets": AWAITING["targets"], "conditions": []})
        await notify.drain()
        by_path = {r.path: r for r in server.received}
        assert sorted(r.path for r in server.received) == ["/hook", "/slack", "/teams"]

        slack = json.loads(by_path["/slack"].body)
        assert slack["blocks"][0] == {
            "type": "header",
            "text": {"type": "plain_text", "text": "holiday waits for approval on production"},
        }
        assert "products +1 ~2 -0 (3 write requests)" in slack["blocks"][1]["text"]["text"]
        facts = slack["blocks"][2]["text"]["text"]
        assert "*When:* 2026-12-01 09:00 EST (America/New_York), 14:00 UTC" in facts
        assert "*Store:* prodstore" in facts
        link = f"{REVIEW}/namespaces/shop/storedeployments/holiday/targets/production"
        assert slack["blocks"][3]["elements"][0]["url"] == link

        teams = json.loads(by_path["/teams"].body)
        card = teams["attachments"][0]
        assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert card["content"]["type"] == "AdaptiveCard"
        assert card["content"]["actions"] == [
            {"type": "Action.OpenUrl", "title": "Review", "url": link}
        ]
        assert {"title": "Environment", "value": "shop/production"} in card["content"]["body"][2][
            "facts"
        ]

        hook = by_path["/hook"]
        stamp = hook.headers["X-StagingPro-Timestamp"]
        expected = hmac.new(
            HMAC_KEY.encode(), stamp.encode() + b"." + hook.body, hashlib.sha256
        ).hexdigest()
        assert hook.headers["X-StagingPro-Signature"] == f"sha256={expected}"
        assert abs(int(stamp) - time.time()) < 60
        document = json.loads(hook.body)
        assert document["event"] == "AwaitingApproval"
        assert document["object"] == {"kind": "StoreDeployment", "name": "holiday"}
        assert document["reviewUrl"] == link
        assert document["occurredAt"] == "2026-12-01T14:00:00+00:00"

        notify.written(DEPLOYMENT, target("Succeeded", startedAt="x", progress="3/3 items"))
        await notify.drain()
        events = {
            path: [json.loads(r.body)["event"] for r in server.received if r.path == path]
            for path in ("/hook", "/done")
        }
        assert sorted(events["/hook"]) == ["AwaitingApproval", "Started", "Succeeded"]
        assert events["/done"] == ["Succeeded"]
    status = receiver_status(world)
    assert status["hook"]["lastEvent"] == "Succeeded"
    assert status["done-only"]["lastEvent"] == "Succeeded"
    assert status["chat"]["failures"] == 0


async def test_failing_endpoints_are_retried_and_reported_without_their_address(
    tmp_path: Path,
) -> None:
    async with http_receiver([500, 502]) as flaky, http_receiver([503] * 10) as down:
        world = world_with(
            tmp_path,
            [
                {"name": "flaky", "type": "slack", "secretRef": {"name": "flaky"}},
                {"name": "down", "type": "webhook", "secretRef": {"name": "down"}},
                {"name": "missing", "type": "teams", "secretRef": {"name": "nowhere"}},
            ],
            {
                "flaky": {"address": f"{flaky.url}/hooks/T000/SECRETPATH"},
                "down": {"address": f"{down.url}/x", "token": HMAC_KEY},
            },
        )
        notify = notifier(world, attempts=3)
        notify.written(DEPLOYMENT, AWAITING)
        await notify.drain()
        assert len(flaky.received) == 3  # two failures, then delivered
        assert len(down.received) == 3  # given up after the last attempt
    status = receiver_status(world)
    assert status["flaky"]["failures"] == 0
    assert status["flaky"]["lastEvent"] == "AwaitingApproval"
    assert "lastError" not in status["flaky"]
    assert status["down"]["failures"] == 3
    assert status["down"]["dropped"] == 1
    assert status["down"]["lastError"] == (
        "AwaitingApproval: the webhook endpoint answered HTTP 503"
    )
    assert status["missing"]["lastError"] == "AwaitingApproval: Secret shop/nowhere not found"
    text = json.dumps(list(world.status.values()))
    assert "SECRETPATH" not in text
    assert HMAC_KEY not in text
    assert "127.0.0.1" not in text


async def test_email_goes_over_starttls_with_auth(tmp_path: Path) -> None:
    with smtp_server("mailer", "s3cret-pass") as box:
        mail = {
            "host": "127.0.0.1",
            "port": str(box.port),
            "username": "mailer",
            "from": "stagingpro@example.test",
            "to": "merchants@example.test, ops@example.test",
            "ca.crt": CERT.read_text(),
        }
        world = world_with(
            tmp_path,
            [
                {"name": "team", "type": "email", "secretRef": {"name": "mail"}},
                {"name": "wrong", "type": "email", "secretRef": {"name": "bad-mail"}},
            ],
            {"mail": {**mail, "password": "s3cret-pass"}, "bad-mail": {**mail, "password": "no"}},
        )
        notify = notifier(world, attempts=1)
        notify.written(DEPLOYMENT, target("Succeeded", startedAt="x", progress="3/3 items"))
        await notify.drain()
        assert box.logins == ["mailer", "mailer"]  # a Started and a Succeeded
        assert box.tls == [True, True]
        subjects = sorted(m["Subject"] for m in box.mails)
        assert subjects == [
            "[StagingPro] holiday started on production",
            "[StagingPro] holiday succeeded on production",
        ]
        done = next(m for m in box.mails if "succeeded" in m["Subject"])
        assert done["To"] == "merchants@example.test, ops@example.test"
        body = done.get_payload(decode=True).decode()
        assert "When: 2026-12-01 09:00 EST (America/New_York), 14:00 UTC" in body
        assert (
            f"Review: {REVIEW}/namespaces/shop/storedeployments/holiday/targets/production" in body
        )
    status = receiver_status(world)
    assert status["team"]["lastEvent"] in ("Started", "Succeeded")
    assert status["wrong"]["lastError"].endswith("the SMTP server refused the login (535)")
    assert "s3cret" not in json.dumps(list(world.status.values()))


def test_situations_are_told_once_when_they_change() -> None:
    env = {"kind": "StoreEnvironment", "metadata": {"name": "production", "namespace": "shop"}}
    drifted = {
        "conditions": [{"type": "Drifted", "status": "True", "reason": "DriftDetected"}],
        "drift": {"inSync": False, "counts": {"products": {"changed": 2, "extra": 1}}},
    }
    still = {**drifted, "drift": {"inSync": False, "counts": {"products": {"changed": 5}}}}
    clean = {"conditions": [], "drift": {"inSync": True}}
    rejected = {
        "conditions": [
            {"type": "Ready", "status": "False", "reason": "CredentialsRejected", "message": "401"}
        ]
    }

    def told(before: dict[str, Any], after: dict[str, Any], obj: dict[str, Any] = env) -> list[str]:
        return [h.event for h in happenings(obj, before, after, NOW)]

    assert told({}, drifted) == ["DriftDetected"]
    assert told(drifted, still) == []  # still drifted, by more: no news
    assert told(still, clean) == ["DriftCleared"]
    assert told(clean, clean) == []
    assert told(clean, rejected) == ["CredentialsRejected"]
    assert told(rejected, rejected) == []
    limited = {"conditions": [{"type": "RateLimited", "status": "True", "reason": "RateLimited"}]}
    assert told(clean, limited) == ["QuotaExhausted"]
    assert told({}, target("Scheduled"), DEPLOYMENT) == ["Scheduled"]
    assert told(target("Scheduled"), AWAITING, DEPLOYMENT) == ["AwaitingApproval"]
    assert told(AWAITING, AWAITING, DEPLOYMENT) == []
    assert told(AWAITING, target("Applying"), DEPLOYMENT) == ["Started"]
    assert told(target("Applying"), target("Succeeded", startedAt="x"), DEPLOYMENT) == ["Succeeded"]
    assert told(AWAITING, target("PartiallySucceeded", startedAt="x"), DEPLOYMENT) == [
        "Started",
        "PartiallySucceeded",
    ]
    assert told(target("Planning"), target("Failed", errors=["PlanRefused: x"]), DEPLOYMENT) == [
        "Failed"
    ]


def release_manifests(root: Path, emulator: Emulator, hook_url: str, **annotations: str) -> None:
    """Production with a webhook receiver, a snapshot, and a deployment scheduled at 09:00
    store time on 2026-12-01 that needs approval."""
    base = {"apiVersion": "stagingpro.io/v1alpha1"}
    meta = {"namespace": "shop"}
    (root / "m").mkdir(parents=True, exist_ok=True)
    write_secret(
        root / "s",
        "tok",
        "shop",
        PROD_TOKEN,
        store_hash="production",
        api_origin=emulator.url,
        role="production",
    )
    (root / "s" / "hook.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "hook", **meta},
                "stringData": {"address": hook_url, "token": HMAC_KEY},
            }
        )
    )
    product = {"sku": "TENT", "name": "Trail Tent", "type": "physical", "price": 199, "weight": 4}
    documents = [
        {
            **base,
            "kind": "StoreEnvironment",
            "metadata": {"name": "production", **meta},
            "spec": {
                "role": "production",
                "store": {
                    "hash": "production",
                    "apiUrl": emulator.url,
                    "credentialsSecretRef": {"name": "tok", "key": "token"},
                },
                "notifications": [
                    {"name": "hook", "type": "webhook", "secretRef": {"name": "hook"}}
                ],
            },
        },
        {
            **base,
            "kind": "CatalogSnapshot",
            "metadata": {"name": "release", **meta},
            "spec": {"source": {"inline": {"products": [product]}}},
        },
        {
            **base,
            "kind": "StoreDeployment",
            "metadata": {"name": "holiday", "annotations": annotations, **meta},
            "spec": {
                "targets": ["production"],
                "catalog": {"snapshotRef": {"name": "release"}},
                "schedule": {"at": "2026-12-01T09:00:00", "timezone": "store"},
            },
        },
    ]
    (root / "m" / "all.yaml").write_text(yaml.safe_dump_all(documents))


async def test_a_release_is_announced_once_per_step_through_the_loop(
    emulator: Emulator, tmp_path: Path
) -> None:
    clock = [datetime(2026, 12, 1, 13, 0, tzinfo=UTC)]  # 08:00 in New York
    async with http_receiver() as server:
        release_manifests(tmp_path, emulator, f"{server.url}/hook")
        world = FileWorld(tmp_path / "m", tmp_path / "state", tmp_path / "s")
        services = services_for(world, tmp_path / "cache", access=access_to(emulator.url))
        services.clock = lambda: clock[0]
        notify = services.observer
        assert isinstance(notify, Notifier)
        loop = Loop(world, services)

        async def events() -> list[str]:
            await loop.settle()
            await notify.drain()
            return [json.loads(r.body)["event"] for r in server.received]

        assert await events() == ["Scheduled"]
        clock[0] = datetime(2026, 12, 1, 14, 0, 1, tzinfo=UTC)
        release_manifests(tmp_path, emulator, f"{server.url}/hook", note="due now")
        assert await events() == ["Scheduled", "AwaitingApproval"]
        release_manifests(tmp_path, emulator, f"{server.url}/hook", note="looked at again")
        assert await events() == ["Scheduled", "AwaitingApproval"]  # still waiting: no news
        release_manifests(
            tmp_path, emulator, f"{server.url}/hook", **{"stagingpro.io/approved-by": "kenji"}
        )
        assert await events() == ["Scheduled", "AwaitingApproval", "Started", "Succeeded"]
    waiting = json.loads(server.received[1].body)
    assert "products +1 ~0 -0 (1 write request)" in waiting["text"]
    assert waiting["occurredAtLocal"].endswith("UTC")
    status = world.status[("StoreEnvironment", "shop", "production")]
    assert status["notifications"] == [
        {
            "name": "hook",
            "lastEvent": "Succeeded",
            "lastSentAt": status["notifications"][0]["lastSentAt"],
            "failures": 0,
            "dropped": 0,
        }
    ]
