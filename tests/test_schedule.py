"""What a job's schedule accepts, and the one-sentence reasons it refuses the rest
(components/_lib/schedule.py). tests/integration/test_schedule_systemd.py checks that systemd
runs what is accepted when cron would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from croniter import croniter
from hypothesis import given, settings

from multicloud.components._lib import types
from multicloud.components._lib.schedule import MAX_EVENTBRIDGE, ScheduleError, from_eventbridge, parse
from multicloud.components.contracts import breaks
from tests.hostile_strings import hostile
from tests.integration.test_schedule_systemd import CRON


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


# --- EventBridge Scheduler (AWS) ----------------------------------------------------------------


def _fields(schedule):
    return (schedule.minutes, schedule.hours, schedule.days, schedule.months, schedule.weekdays)


@settings(max_examples=150, deadline=None)
@given(CRON)
def test_the_eventbridge_expression_obeys_its_grammar_and_means_the_same(text):
    try:
        schedule = parse(text)
    except ScheduleError:
        return
    expression = schedule.eventbridge
    if len(expression) > MAX_EVENTBRIDGE:
        return  # refused by the stack spec, naming the limit (tests/test_jobs.py)
    assert not breaks(types.AWS_SCHEDULER_SCHEDULE, "s", {"scheduleExpression": expression}), expression
    assert _fields(from_eventbridge(expression)) == _fields(schedule)
    # Read back as cron, croniter runs it when it runs the original.
    back = from_eventbridge(expression)
    start = datetime(2026, 12, 1, 17, 3, tzinfo=UTC)
    assert back.next_runs(start, 3) == schedule.next_runs(start, 3)


@pytest.mark.parametrize(
    "text", ["0 */6 * * *", "30 3 * * mon-fri", "*/15 * 1,15 * *", "0 0 29 2 *", "5 4 * jan,jul sun"]
)
def test_runs_a_month_are_a_years_runs_by_croniter_over_twelve(text):
    schedule = parse(text)
    start, end = datetime(2026, 12, 31, 23, 59, tzinfo=UTC), datetime(2027, 12, 31, 23, 59, tzinfo=UTC)
    runs = croniter(text, start)
    count = 0
    while runs.get_next(datetime) <= end:
        count += 1
    assert schedule.runs_per_month() == pytest.approx(count / 12)
