"""Notifications of a `StoreEnvironment`: who is told about its releases and drift, and how the
last deliveries went. Endpoints and credentials live only in the Secret a receiver names."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from controller.api.base import Model, SecretReference

NotificationEvent = Literal[
    "AwaitingApproval",
    "Scheduled",
    "Started",
    "Succeeded",
    "PartiallySucceeded",
    "Failed",
    "DriftDetected",
    "DriftCleared",
    "CredentialsRejected",
    "QuotaExhausted",
]


class NotificationReceiver(Model):
    """One place to tell people: a Slack or Microsoft Teams incoming webhook, a signed JSON
    webhook, or email."""

    name: Annotated[
        str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    ]
    type: Literal["slack", "teams", "webhook", "email"]
    secret_ref: SecretReference = Field(
        description="Secret of the namespace with the endpoint: `address` (the webhook URL) for "
        "slack, teams and webhook, plus `token` (the HMAC-SHA256 key) for webhook; `host`, "
        "`port` (default 587), `username`, `password`, `from`, `to` (comma-separated) and "
        "optionally `ca.crt` for email (SMTP with STARTTLS)."
    )
    events: list[NotificationEvent] = Field(
        default_factory=list, description="The events to send (empty: all of them)."
    )


class ReceiverStatus(Model):
    """How deliveries to one receiver went."""

    name: str
    last_event: str | None = None
    last_sent_at: datetime | None = None
    last_error: Annotated[str, Field(max_length=1024)] | None = None
    last_failed_at: datetime | None = None
    failures: int = Field(0, description="Failed deliveries in a row (retries included).")
    dropped: int = Field(0, description="Notifications given up after the last retry.")


Receivers = Annotated[list[NotificationReceiver], Field(max_length=20)]
