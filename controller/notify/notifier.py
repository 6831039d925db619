"""Delivering notifications without ever holding up a release: status writes are read as they happen
(`Notifier.written`, a `StatusObserver`), and each notification is sent in a task of its own to each
receiver of the environment concerned, retried with backoff; how deliveries went is written to the
environment's `status.notifications`. Endpoints and credentials are read from Secrets at each
delivery and never appear in status, logs or errors."""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import smtplib
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pydantic

from controller.access import SecretData
from controller.access.urls import check_host, has_userinfo
from controller.api.notification import NotificationReceiver, ReceiverStatus
from controller.api.resources import StoreEnvironment
from controller.errors import StagingProError
from controller.notify import formats
from controller.notify.events import Happening, happenings
from controller.reconcile.services import World
from controller.reconcile.status import merge_patch
from controller.review import local_time

logger = logging.getLogger(__name__)

REVIEW_URL_ENV = "STAGINGPRO_REVIEW_URL"


@dataclass(frozen=True)
class NotifySettings:
    """Retries (attempts, first and longest pause) and the review pages' base URL."""

    attempts: int = 6
    first_retry: float = 5.0
    longest_retry: float = 300.0
    timeout: float = 10.0
    review_url: str | None = None

    @classmethod
    def from_env(cls) -> NotifySettings:
        """Defaults, with the review URL from $STAGINGPRO_REVIEW_URL."""
        return cls(review_url=os.environ.get(REVIEW_URL_ENV) or None)


class DeliveryFailed(Exception):
    """A delivery that did not go through; its message names no endpoint nor credential."""


class Notifier:
    """Turns status changes into notifications and delivers them."""

    def __init__(
        self,
        world: World,
        settings: NotifySettings | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        check_hosts: bool = True,
    ):
        self.world = world
        self.settings = settings or NotifySettings()
        self.clock = clock
        self.check_hosts = check_hosts
        self._views: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._receivers: dict[tuple[str, str], dict[str, ReceiverStatus]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    # ---- from status writes to happenings ----------------------------------------------------------

    def written(self, obj: Mapping[str, Any], patch: Mapping[str, Any]) -> None:
        """A status patch was written: find what changed for people, deliver it in the background."""
        kind = str(obj.get("kind"))
        if kind not in ("StoreDeployment", "StoreEnvironment"):
            return
        meta = obj.get("metadata") or {}
        key = (kind, str(meta.get("namespace", "default")), str(meta.get("name", "")))
        before = self._views.get(key)
        if before is None:
            before = copy.deepcopy(dict(obj.get("status") or {}))
        after = merge_patch(before, patch)
        self._views[key] = after
        for happening in happenings(obj, before, after, self.clock()):
            self._spawn(self._announce(obj, happening))

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the deliveries under way (bound it with `asyncio.timeout`)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    # ---- who hears of it ---------------------------------------------------------------------------

    async def _announce(self, obj: Mapping[str, Any], happening: Happening) -> None:
        try:
            env_obj = (
                dict(obj)
                if happening.kind == "StoreEnvironment"
                else await self.world.get(
                    "StoreEnvironment", happening.namespace, happening.environment
                )
            )
            if env_obj is None:
                return
            try:
                env = StoreEnvironment.model_validate(env_obj)
            except pydantic.ValidationError:
                return  # its own reconcile reports the invalid spec
            receivers = [
                r for r in env.spec.notifications if not r.events or happening.event in r.events
            ]
            if not receivers:
                return
            store = (env_obj.get("status") or {}).get("store") or {}
            zone = env.spec.timezone or store.get("timezone")
            name = store.get("name")
            message = formats.Message(
                happening,
                store=f"{name} ({env.spec.store.hash})" if name else env.spec.store.hash,
                when=local_time(happening.at, zone),
                link=self._link(happening),
            )
            async with asyncio.TaskGroup() as group:
                for receiver in receivers:
                    group.create_task(self._deliver(happening, receiver, message))
        except Exception:  # a notification must never take anything else down
            logger.exception("notification of %s failed", happening.event)

    def _link(self, happening: Happening) -> str | None:
        base = self.settings.review_url
        if not base:
            return None
        base = base.rstrip("/")
        if happening.kind == "StoreDeployment":
            return (
                f"{base}/namespaces/{happening.namespace}/storedeployments/{happening.name}"
                f"/targets/{happening.target}"
            )
        return f"{base}/namespaces/{happening.namespace}/storeenvironments/{happening.name}"

    # ---- delivery ------------------------------------------------------------------------------

    async def _deliver(
        self, happening: Happening, receiver: NotificationReceiver, message: formats.Message
    ) -> None:
        """Send with retries: 5 s, 10 s, 20 s ... up to 5 min apart, then give up (counted)."""
        namespace, env = happening.namespace, happening.environment
        pause = self.settings.first_retry
        for attempt in range(1, self.settings.attempts + 1):
            try:
                data = await self.world.secret(namespace, receiver.secret_ref.name)
                if data is None:
                    raise DeliveryFailed(f"Secret {namespace}/{receiver.secret_ref.name} not found")
                await send(receiver, data, message, self.settings.timeout, self.check_hosts)
            except (DeliveryFailed, StagingProError) as error:
                failure = f"{happening.event}: {error}"
            else:
                await self._record(namespace, env, receiver.name, event=happening.event)
                return
            logger.warning(
                "notification %s to %s/%s receiver %s failed (attempt %d): %s",
                happening.event,
                namespace,
                env,
                receiver.name,
                attempt,
                failure,
            )
            await self._record(namespace, env, receiver.name, error=failure)
            if attempt < self.settings.attempts:
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.settings.longest_retry)
        await self._record(namespace, env, receiver.name, dropped=True)

    async def _record(
        self,
        namespace: str,
        env: str,
        receiver: str,
        *,
        event: str | None = None,
        error: str | None = None,
        dropped: bool = False,
    ) -> None:
        """Write how deliveries to a receiver went into the environment's status."""
        key = (namespace, env)
        async with self._locks.setdefault(key, asyncio.Lock()):
            states = self._receivers.get(key)
            if states is None:
                current = await self.world.get("StoreEnvironment", namespace, env)
                saved = ((current or {}).get("status") or {}).get("notifications") or []
                states = self._receivers[key] = {}
                for item in saved:
                    try:
                        found = ReceiverStatus.model_validate(item)
                    except pydantic.ValidationError:
                        continue
                    states[found.name] = found
            state = states.setdefault(receiver, ReceiverStatus(name=receiver))
            now = self.clock()
            if event is not None:
                state.last_event, state.last_sent_at = event, now
                state.failures, state.last_error = 0, None
            if error is not None:
                state.failures += 1
                state.last_error, state.last_failed_at = error[:1024], now
            if dropped:
                state.dropped += 1
            body = [
                s.model_dump(mode="json", by_alias=True, exclude_none=True)
                for s in sorted(states.values(), key=lambda s: s.name)
            ]
            try:
                await self.world.patch_status(
                    "StoreEnvironment", namespace, env, {"notifications": body}
                )
            except Exception as failure:  # status is a report: a failed write is logged, not fatal
                logger.warning(
                    "cannot write notification status of %s/%s: %s", namespace, env, failure
                )


async def send(
    receiver: NotificationReceiver,
    data: SecretData,
    message: formats.Message,
    seconds: float,
    check_hosts: bool = True,
) -> None:
    """One delivery; `DeliveryFailed` says why without naming the endpoint or a credential."""
    where = f"Secret {receiver.secret_ref.name}"
    if receiver.type == "email":
        await asyncio.to_thread(_send_mail, data, message, seconds, where)
        return
    address = _text(data, "address", where)
    url = urlsplit(address)
    if url.scheme not in ("https", "http") or not url.hostname or has_userinfo(address):
        raise DeliveryFailed(f"{where}: address must be an http(s) URL without user:password")
    if check_hosts:
        await asyncio.to_thread(check_host, url.hostname, f"{where} address")
    headers = {"Content-Type": "application/json", "User-Agent": "stagingpro-notifier"}
    if receiver.type == "slack":
        body = formats.encode(formats.slack(message))
    elif receiver.type == "teams":
        body = formats.encode(formats.teams(message))
    else:
        body = formats.encode(formats.webhook(message))
        key = data.get("token")
        if not key:
            raise DeliveryFailed(f"{where} has no key 'token' (the HMAC key of the webhook)")
        stamp = int(time.time())
        headers |= {
            formats.EVENT_HEADER: message.happening.event,
            formats.DELIVERY_HEADER: str(uuid.uuid4()),
            formats.TIMESTAMP_HEADER: str(stamp),
            formats.SIGNATURE_HEADER: formats.signature(key.strip(), stamp, body),
        }
    try:
        async with httpx.AsyncClient(timeout=seconds, follow_redirects=False) as client:
            response = await client.post(address, content=body, headers=headers)
    except httpx.TimeoutException:
        raise DeliveryFailed(
            f"the {receiver.type} endpoint did not answer in {seconds:g} s"
        ) from None
    except httpx.HTTPError as error:
        raise DeliveryFailed(
            f"cannot reach the {receiver.type} endpoint ({type(error).__name__})"
        ) from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"the {receiver.type} endpoint answered HTTP {response.status_code}")


def _text(data: SecretData, key: str, where: str) -> str:
    value = data.get(key)
    if not value:
        raise DeliveryFailed(f"{where} has no key {key!r}")
    return value.decode().strip()


def _send_mail(data: SecretData, message: formats.Message, timeout: float, where: str) -> None:
    """SMTP with STARTTLS (never credentials in clear), then AUTH and the mail."""
    host = _text(data, "host", where)
    port_text = data.get("port", b"587").decode().strip() or "587"
    if not port_text.isdigit():
        raise DeliveryFailed(f"{where}: port must be a number")
    recipients = [r.strip() for r in _text(data, "to", where).split(",") if r.strip()]
    mail = formats.email(message, _text(data, "from", where), recipients)
    ca = data.get("ca.crt")
    context = ssl.create_default_context(cadata=ca.decode() if ca else None)
    try:
        with smtplib.SMTP(host, int(port_text), timeout=timeout) as smtp:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise DeliveryFailed("the SMTP server does not offer STARTTLS: nothing sent")
            smtp.starttls(context=context)
            smtp.ehlo()
            if data.get("username"):
                smtp.login(_text(data, "username", where), _text(data, "password", where))
            smtp.send_message(mail)
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryFailed(f"the SMTP server refused the login ({error.smtp_code})") from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryFailed(f"the SMTP server refused the mail ({error.smtp_code})") from None
    except ssl.SSLError as error:
        raise DeliveryFailed(f"TLS with the SMTP server failed ({error.reason})") from None
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryFailed(f"cannot reach the SMTP server ({type(error).__name__})") from None
