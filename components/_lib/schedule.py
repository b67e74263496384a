"""A job's schedule: five-field cron in UTC, the subset every scheduler we target can run.

`minute hour day-of-month month day-of-week`, each field `*`, a number, a range `a-b`, a step
`*/n` or `a-b/n`, or a comma list of those; months and weekdays also by their English
three-letter names (`jan`, `mon`), weekday 0 and 7 both Sunday. Not accepted: the `@daily`
shorthands, seconds or year fields, and the extensions some crons have (`L`, `W`, `#`, `?`).

One rule of cron's is refused rather than translated: when both the day of the month and the
day of the week are restricted, cron runs on days matching *either*, while a systemd calendar
event (and EventBridge, which refuses the pair) needs *both*. Any text but `*` in both fields
is refused — crons even disagree whether `*/1` or `0-6` restricts. Restrict one of them.

On a host the schedule becomes a systemd `OnCalendar=` event (systemd.time(7)) with every
field written out as a plain list, so no range or step syntax has to agree between the two
grammars; tests/test_schedule.py holds the event's next runs equal to croniter's for the cron
text, and to `systemd-analyze calendar`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
SYSTEMD_WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
# The longest forms a host's timer (components/_vps/render.job_units) and EventBridge
# (ScheduleExpression, 1-256 characters, API CreateSchedule) take.
MAX_ON_CALENDAR, MAX_EVENTBRIDGE = 300, 256

# (name, lowest, highest, names for 0- or 1-based values)
FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, WEEKDAYS),
)
_ONE_VALUE_RANGE = re.compile(r"\b(\w+)-\1\b")
_PART = re.compile(r"(?:\*|(?P<low>[0-9a-z]+)(?:-(?P<high>[0-9a-z]+))?)(?:/(?P<step>[0-9]+))?")


class ScheduleError(ValueError):
    """A schedule outside the accepted subset; the message says which field and why."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: each field's values, or None where the field is `*`."""

    text: str
    minutes: tuple[int, ...] | None
    hours: tuple[int, ...] | None
    days: tuple[int, ...] | None
    months: tuple[int, ...] | None
    weekdays: tuple[int, ...] | None
    """0 = Sunday (cron's 7 folded in)."""

    @property
    def on_calendar(self) -> str:
        """The systemd calendar event with the same runs (UTC)."""

        def listed(values: tuple[int, ...] | None, width: int = 2) -> str:
            return "*" if values is None else ",".join(f"{v:0{width}d}" for v in values)

        weekday = "" if self.weekdays is None else ",".join(SYSTEMD_WEEKDAYS[d] for d in self.weekdays) + " "
        return f"{weekday}*-{listed(self.months)}-{listed(self.days)} {listed(self.hours)}:{listed(self.minutes)}:00 UTC"

    @property
    def eventbridge(self) -> str:
        """The EventBridge Scheduler cron expression with the same runs (its timezone UTC):
        `cron(minutes hours day-of-month month day-of-week year)`, `?` in whichever day field
        is unrestricted (EventBridge needs one), weekdays by name (EventBridge counts them 1-7
        from Sunday, not 0-6), every list written out."""

        def listed(values: tuple[int, ...] | None) -> str:
            return "*" if values is None else ",".join(str(v) for v in values)

        weekday = "?" if self.weekdays is None else ",".join(WEEKDAYS[d].upper() for d in self.weekdays)
        day = "?" if self.weekdays is not None else listed(self.days)
        return f"cron({listed(self.minutes)} {listed(self.hours)} {day} {listed(self.months)} {weekday} *)"

    def runs_per_month(self) -> float:
        """How many times it runs in an average month (a 365-day year's runs / 12)."""
        per_day = len(self.minutes or range(60)) * len(self.hours or range(24))
        start = date(2027, 1, 1)
        days = [start + timedelta(days=i) for i in range(365)]
        matching = [
            d
            for d in days
            if (self.months is None or d.month in self.months)
            and (self.days is None or d.day in self.days)
            and (self.weekdays is None or d.isoweekday() % 7 in self.weekdays)
        ]
        return per_day * len(matching) / 12

    def next_runs(self, after: datetime, count: int = 3) -> list[datetime]:
        """The next `count` runs strictly after `after` (an aware datetime), from croniter."""
        from croniter import croniter

        # croniter 7.0 reads a one-value range (`1-1`) as `*`; cron, systemd and we read it as
        # that one value (found by tests/integration/test_schedule_systemd.py).
        text = _ONE_VALUE_RANGE.sub(r"\1", self.text)
        runs = croniter(text, after)
        return [runs.get_next(datetime) for _ in range(count)]


def parse(text: str) -> Schedule:
    """The schedule `text` stands for; ScheduleError (one sentence) when it is not one."""
    if not isinstance(text, str) or len(text) > 200:
        raise ScheduleError("must be five cron fields (minute hour day-of-month month day-of-week)")
    fields = text.split()
    if len(fields) != 5 or " ".join(fields) != text.strip():
        raise ScheduleError(
            f"{text!r} must be five cron fields separated by spaces (minute hour day-of-month month "
            "day-of-week), e.g. '0 */6 * * *'"
        )
    values = [_field(raw, *spec) for raw, spec in zip(fields, FIELDS, strict=True)]
    minutes, hours, days, months, weekdays = values
    if weekdays is not None:
        weekdays = tuple(sorted({d % 7 for d in weekdays}))
        if len(weekdays) == 7:
            weekdays = None
    # By the text, not the values: crons differ on `0-6` or `*/1` beside a day of the month
    # (Vixie cron ORs the first and ANDs the second, croniter ORs both).
    if fields[2] != "*" and fields[4] != "*":
        raise ScheduleError(
            "restricts both the day of the month and the day of the week: cron runs on either, "
            "systemd and EventBridge on both; restrict one of them"
        )
    if days is not None and months is not None and not _some_month_has(days, months):
        raise ScheduleError(f"{text!r} never runs: none of those months has those days")
    return Schedule(" ".join(fields), minutes, hours, days, months, weekdays)


def _field(raw: str, name: str, low: int, high: int, names: tuple[str, ...]) -> tuple[int, ...] | None:
    """A field's values, sorted; None for `*` (every value)."""
    if raw == "*":
        return None
    found: set[int] = set()
    for part in raw.lower().split(","):
        match = _PART.fullmatch(part)
        if match is None:
            raise ScheduleError(f"the {name} field {raw!r} is not a number, range, step or list")
        first = _value(match["low"], name, low, high, names) if match["low"] else low
        last = _value(match["high"], name, low, high, names) if match["high"] else None
        step = int(match["step"]) if match["step"] else None
        if last is None:
            last = high if (step is not None or not match["low"]) else first
        if first > last:
            raise ScheduleError(f"the {name} range {part!r} runs backwards")
        if step is not None and not 1 <= step <= high:
            raise ScheduleError(f"the {name} step in {part!r} must be between 1 and {high}")
        found |= set(range(first, last + 1, step or 1))
    if name != "day of week" and found == set(range(low, high + 1)):
        return None
    return tuple(sorted(found))


def _value(word: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if word.isdigit() and len(word) <= 2:
        number = int(word)
    elif word in names:
        number = names.index(word) + (1 if name == "month" else 0)
    else:
        named = f" or {names[0]}…{names[-1]}" if names else ""
        raise ScheduleError(f"the {name} {word!r} is not a number from {low} to {high}{named}")
    if not low <= number <= high:
        raise ScheduleError(f"the {name} {number} is outside {low}–{high}")
    return number


def _some_month_has(days: tuple[int, ...], months: tuple[int, ...]) -> bool:
    longest = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}
    return any(day <= longest.get(month, 31) for day in days for month in months)


_EVENTBRIDGE = re.compile(r"cron\(([^ ()]+) ([^ ()]+) ([^ ()]+) ([^ ()]+) ([^ ()]+) \*\)")


def from_eventbridge(expression: str) -> Schedule:
    """The schedule an expression of `Schedule.eventbridge`'s form stands for (the cost
    engine reads a planned EventBridge schedule back with it); ScheduleError otherwise."""
    match = _EVENTBRIDGE.fullmatch(expression)
    if match is None:
        raise ScheduleError(f"{expression!r} is not a cron(...) expression this toolkit writes")
    minutes, hours, day, month, weekday = (field.replace("?", "*") for field in match.groups())
    return parse(f"{minutes} {hours} {day} {month} {weekday.lower()}")
