"""Schedules: cron expressions and tumbling windows, as Data Factory triggers can express them.

Data Factory schedule triggers take a recurrence (frequency, interval and a schedule of minutes,
hours, week days and month days), not cron text:
https://learn.microsoft.com/azure/data-factory/how-to-create-schedule-trigger
So only crons that map onto that recurrence are accepted: minute and hour lists, and either
days of the month or days of the week (not both), every month.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lakewharf.model.origin import NOWHERE, Origin

WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))


class CronError(ValueError):
    pass


def _number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts '²', which int() then refuses."""
    return text.isascii() and text.isdigit()


def _expand(text: str, name: str, low: int, high: int) -> tuple[int, ...] | None:
    """One cron field → sorted values, or None for '*' (every value)."""
    if text == "*":
        return None
    values: set[int] = set()
    for part in text.split(","):
        body, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not _number(step_text) or int(step_text) == 0:
                raise CronError(f"{name}: bad step {step_text!r}")
            step = int(step_text)
        if body == "*":
            start, end = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            if not (_number(a) and _number(b)):
                raise CronError(f"{name}: bad range {body!r}")
            start, end = int(a), int(b)
        elif _number(body):
            start = int(body)
            end = high if slash else start
        else:
            raise CronError(f"{name}: {body!r} is not a number, range or '*'")
        if not (low <= start <= high and low <= end <= high and start <= end):
            raise CronError(f"{name}: {body!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return tuple(sorted(values))


@dataclass(frozen=True)
class Cron:
    expression: str
    timezone: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    month_days: tuple[int, ...] | None
    week_days: tuple[str, ...] | None
    origin: Origin = field(default=NOWHERE, compare=False, repr=False)

    @classmethod
    def parse(cls, expression: str, timezone: str = "UTC", origin: Origin = NOWHERE) -> Cron:
        parts = expression.split()
        if len(parts) != 5:
            raise CronError(f"expected 5 fields (minute hour day-of-month month day-of-week), found {len(parts)}")
        minute, hour, mday, month, wday = (
            _expand(text, name, low, high) for text, (name, low, high) in zip(parts, _FIELDS, strict=True)
        )
        if month is not None:
            raise CronError("month must be '*': Data Factory recurrences run every month")
        if mday is not None and wday is not None:
            raise CronError("give days of the month or days of the week, not both")
        week_days = None if wday is None else tuple(dict.fromkeys(WEEKDAYS[d % 7] for d in wday))
        return cls(
            expression,
            timezone,
            minutes=minute if minute is not None else tuple(range(60)),
            hours=hour if hour is not None else tuple(range(24)),
            month_days=mday,
            week_days=week_days,
            origin=origin,
        )

    @property
    def runs_per_day(self) -> int:
        return len(self.minutes) * len(self.hours)


@dataclass(frozen=True)
class TumblingWindow:
    frequency: str
    interval: int
    start: str
    delay_minutes: int = 0
    max_concurrency: int = 1
    origin: Origin = field(default=NOWHERE, compare=False, repr=False)


Schedule = Cron | TumblingWindow
