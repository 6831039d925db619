"""A notification in each receiver's format: Slack and Microsoft Teams incoming webhooks, a generic
JSON webhook signed with HMAC-SHA256, and an email."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from controller.notify.events import Happening

SIGNATURE_HEADER = "X-StagingPro-Signature"
TIMESTAMP_HEADER = "X-StagingPro-Timestamp"
EVENT_HEADER = "X-StagingPro-Event"
DELIVERY_HEADER = "X-StagingPro-Delivery"
COLORS = {"info": "#2e86c1", "success": "#1e8449", "warning": "#b9770e", "error": "#c0392b"}
TEAMS_STYLES = {"info": "accent", "success": "good", "warning": "warning", "error": "attention"}


@dataclass(frozen=True)
class Message:
    """A happening with where and when it happened, as a person reads it."""

    happening: Happening
    store: str  # the store's name and hash
    when: str  # store-local time, and UTC
    link: str | None  # the review page

    @property
    def title(self) -> str:
        """One line."""
        return self.happening.title

    def facts(self) -> list[tuple[str, str]]:
        """(label, value) pairs: what, where, when."""
        h = self.happening
        facts = [
            ("Event", h.event),
            ("Environment", f"{h.namespace}/{h.environment}"),
            ("Store", self.store),
            ("When", self.when),
        ]
        if h.kind == "StoreDeployment":
            facts.insert(1, ("Deployment", f"{h.namespace}/{h.name}"))
        return facts


def _slack_text(text: str) -> str:
    """Text Slack shows as written: no mention, link or formatting from data."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(message: Message) -> dict[str, Any]:
    """A Slack incoming-webhook payload: a fallback text and Block Kit blocks."""
    h = message.happening
    facts = "\n".join(f"*{label}:* {_slack_text(value)}" for label, value in message.facts())
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": h.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_text(h.text)[:3000]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": facts[:3000]}},
    ]
    if message.link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Review"},
                        "url": message.link,
                    }
                ],
            }
        )
    return {
        "text": _slack_text(f"{h.title}: {h.text}"),
        "blocks": blocks,
        "attachments": [{"color": COLORS[h.severity], "fallback": _slack_text(h.title)}],
    }


def teams(message: Message) -> dict[str, Any]:
    """A Microsoft Teams incoming-webhook (Workflows) payload: one Adaptive Card."""
    h = message.happening
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": h.title,
                "size": "Large",
                "weight": "Bolder",
                "color": TEAMS_STYLES[h.severity],
                "wrap": True,
            },
            {"type": "TextBlock", "text": h.text, "wrap": True},
            {
                "type": "FactSet",
                "facts": [{"title": label, "value": value} for label, value in message.facts()],
            },
        ],
    }
    if message.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Review", "url": message.link}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def webhook(message: Message) -> dict[str, Any]:
    """The generic webhook's JSON document (`version` 1)."""
    h = message.happening
    return {
        "version": 1,
        "event": h.event,
        "severity": h.severity,
        "title": h.title,
        "text": h.text,
        "namespace": h.namespace,
        "object": {"kind": h.kind, "name": h.name},
        "environment": h.environment,
        "target": h.target,
        "store": message.store,
        "occurredAt": h.at.isoformat(),
        "occurredAtLocal": message.when,
        "reviewUrl": message.link,
    }


def signature(key: bytes, timestamp: int, body: bytes) -> str:
    """`sha256=HEX`: HMAC-SHA256 of `TIMESTAMP.BODY` (the timestamp is signed too, so that a
    receiver that refuses old timestamps refuses replays)."""
    digest = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    key: bytes, headers: dict[str, str], body: bytes, now: float, tolerance: float = 300
) -> bool:
    """A receiver's check: the signature matches and the timestamp is within `tolerance` s."""
    try:
        timestamp = int(headers[TIMESTAMP_HEADER])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(key, timestamp, body), headers.get(SIGNATURE_HEADER, ""))


def email(message: Message, sender: str, recipients: list[str]) -> EmailMessage:
    """A plain-text email."""
    h = message.happening
    mail = EmailMessage()
    mail["Subject"] = f"[StagingPro] {h.title}"
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    lines = [h.text, "", *(f"{label}: {value}" for label, value in message.facts())]
    if message.link:
        lines += ["", f"Review: {message.link}"]
    mail.set_content("\n".join(lines) + "\n")
    return mail


def encode(document: dict[str, Any]) -> bytes:
    """The request body of a JSON document."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
