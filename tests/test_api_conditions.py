"""The condition helper follows Kubernetes conventions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from controller.api import parse_duration
from controller.api.conditions import DRIFTED, READY, Reason, get_condition, set_condition

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def test_unchanged_status_keeps_the_transition_time_but_updates_the_message() -> None:
    conditions = set_condition([], READY, "True", Reason.IN_SYNC, "ok", generation=1, now=T0)
    conditions = set_condition(
        conditions, READY, "True", Reason.IN_SYNC, "still ok", generation=2, now=T1
    )
    ready = get_condition(conditions, READY)
    assert ready is not None
    assert ready.last_transition_time == T0
    assert ready.message == "still ok"
    assert ready.observed_generation == 2


def test_status_change_moves_the_transition_time() -> None:
    conditions = set_condition([], READY, "True", Reason.IN_SYNC, now=T0)
    conditions = set_condition(conditions, READY, "False", Reason.CREDENTIALS_REJECTED, now=T1)
    ready = get_condition(conditions, READY)
    assert ready is not None
    assert (ready.status, ready.reason, ready.last_transition_time) == (
        "False",
        "CredentialsRejected",
        T1,
    )


def test_abnormal_true_conditions_disappear_when_they_clear_and_ready_stays_first() -> None:
    conditions = set_condition([], DRIFTED, "True", Reason.DRIFT_DETECTED, now=T0)
    conditions = set_condition(conditions, READY, "True", Reason.IN_SYNC, now=T0)
    assert [c.type for c in conditions] == [READY, DRIFTED]
    conditions = set_condition(conditions, DRIFTED, "False", Reason.IN_SYNC, now=T1)
    assert [c.type for c in conditions] == [READY]


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400), ("250ms", 0.25)]
)
def test_durations_parse_like_kubernetes_ones(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_bad_duration_names_the_value() -> None:
    with pytest.raises(ValueError, match="'5 minutes'"):
        parse_duration("5 minutes")
