"""Notifications to people: Slack, Microsoft Teams, a signed JSON webhook and email, for a
deployment's phases and an environment's drift, credentials and quota."""

from controller.notify.events import Happening, happenings
from controller.notify.formats import Message, signature, verify
from controller.notify.notifier import REVIEW_URL_ENV, Notifier, NotifySettings

__all__ = [
    "REVIEW_URL_ENV",
    "Happening",
    "Message",
    "Notifier",
    "NotifySettings",
    "happenings",
    "signature",
    "verify",
]
