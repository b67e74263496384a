"""A job's cron schedule and the systemd calendar event a host runs it by agree on every run.

For generated cron texts in the accepted subset (components/_lib/schedule.py), the next runs
`systemd-analyze calendar` computes for our `OnCalendar=` event equal the ones croniter
computes for the cron text itself: two implementations we did not write, one per grammar.
"""

from __future__ import annotations

import os
import re
import subprocess
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multicloud.components._lib.schedule import MONTHS, WEEKDAYS, ScheduleError, parse

pytestmark = pytest.mark.integration

BASE = datetime(2026, 12, 1, 17, 3, tzinfo=UTC)
RUNS = 4
_ELAPSE = re.compile(r"(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")


def systemd_runs(tool: str, event: str, count: int = RUNS) -> list[datetime]:
    done = subprocess.run(
        [tool, "calendar", f"--iterations={count}", f"--base-time={BASE:%Y-%m-%d %H:%M:%S} UTC", event],
        capture_output=True, text=True, timeout=30, check=False, env={**os.environ, "TZ": "UTC"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [
        datetime.strptime(t, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) for t in _ELAPSE.findall(done.stdout)
    ]


def part(low: int, high: int, names: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    number = st.integers(low, high)
    value = number.map(str) if not names else st.one_of(number.map(str), st.sampled_from(names))
    ranged = st.tuples(number, number).map(lambda p: f"{min(p)}-{max(p)}")
    stepped = st.tuples(st.sampled_from(["*", f"{low}-{high}"]), st.integers(1, max(1, high // 2))).map(
        lambda p: f"{p[0]}/{p[1]}"
    )
    return st.one_of(
        st.just("*"), value, ranged, stepped, st.lists(value, min_size=2, max_size=4).map(",".join)
    )


CRON = st.tuples(part(0, 59), part(0, 23), part(1, 31), part(1, 12, MONTHS), part(0, 7, WEEKDAYS)).map(
    " ".join
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CRON)
def test_systemd_runs_the_event_when_cron_would(require_tool, text):
    try:
        schedule = parse(text)
    except ScheduleError:
        return  # refused with a reason (tests/test_schedule.py); nothing reaches a host
    expected = schedule.next_runs(BASE, RUNS)
    assert systemd_runs(require_tool("systemd-analyze", "systemd"), schedule.on_calendar) == expected, (
        f"{text} → {schedule.on_calendar}"
    )


@pytest.mark.parametrize(
    "text",
    [
        "0 */6 * * *",
        "30 3 * * mon-fri",
        "*/15 * 1,15 * *",
        "0 0 * jan,jul 0",
        "5 4 * * 7",
        "0 0 29 2 *",
        "59 23 31 * *",
    ],
)
def test_common_schedules(require_tool, text):
    schedule = parse(text)
    tool = require_tool("systemd-analyze", "systemd")
    assert systemd_runs(tool, schedule.on_calendar) == schedule.next_runs(BASE, RUNS)
