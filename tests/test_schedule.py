"""What a job's schedule accepts, and the one-sentence reasons it refuses the rest
(components/_lib/schedule.py). tests/integration/test_schedule_systemd.py checks that systemd
runs what is accepted when cron would."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from components._lib.schedule import ScheduleError, parse
from tests.hostile_strings import hostile


@pytest.mark.parametrize(
    ("text", "event"),
    [
        ("0 */6 * * *", "*-*-* 00,06,12,18:00:00 UTC"),
        ("30 3 * * MON-FRI", "Mon,Tue,Wed,Thu,Fri *-*-* 03:30:00 UTC"),
        ("0 0 * * 0,7", "Sun *-*-* 00:00:00 UTC"),
        ("0 0 * * *", "*-*-* 00:00:00 UTC"),
        ("* * * * 0-7", "*-*-* *:*:00 UTC"),
    ],
)
def test_accepted_schedules_and_their_systemd_event(text, event):
    assert parse(text).on_calendar == event


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("@daily", "must be five cron fields"),
        ("0 0 * * * *", "must be five cron fields"),
        ("0  0 * * *", "must be five cron fields"),
        ("60 * * * *", "the minute 60 is outside 0–59"),
        ("0 24 * * *", "the hour 24 is outside 0–23"),
        ("0 0 0 * *", "the day of month 0 is outside 1–31"),
        ("0 0 * 13 *", "the month 13 is outside 1–12"),
        ("0 0 * * 8", "the day of week 8 is outside 0–7"),
        ("0 0 L * *", "the day of month 'l' is not a number"),
        ("0 0 * * 1#2", "is not a number, range, step or list"),
        ("5-1 * * * *", "runs backwards"),
        ("*/0 * * * *", "step in '*/0' must be between 1 and 59"),
        ("0 0 1 * mon", "restricts both the day of the month and the day of the week"),
        ("0 0 2 * */1", "restricts both the day of the month and the day of the week"),
        ("0 0 1-31 * 0-6", "restricts both the day of the month and the day of the week"),
        ("0 0 30,31 2 *", "never runs"),
    ],
)
def test_refused_schedules_say_why(text, reason):
    with pytest.raises(ScheduleError, match=None) as refused:
        parse(text)
    assert reason in str(refused.value)


@settings(max_examples=200, deadline=None)
@given(hostile())
def test_anything_accepted_is_plain_cron_and_a_plain_event(text):
    """What reaches a timer unit: digits, names, `*,:-` and spaces — no specifier, no newline."""
    try:
        schedule = parse(text)
    except ScheduleError:
        return
    assert all(c.isalnum() or c in " *,:-" for c in schedule.on_calendar)
    assert schedule.text == " ".join(text.split())
