"""Cron expressions as Data Factory schedule triggers can express them."""

from __future__ import annotations

import pytest

from lakewharf.model.schedule import WEEKDAYS, Cron, CronError

ALL_MINUTES = tuple(range(60))
ALL_HOURS = tuple(range(24))


@pytest.mark.parametrize(
    ("expression", "minutes", "hours", "month_days", "week_days"),
    [
        ("0 1 * * *", (0,), (1,), None, None),
        ("5 * * * *", (5,), ALL_HOURS, None, None),
        ("* * * * *", ALL_MINUTES, ALL_HOURS, None, None),
        ("*/15 * * * *", (0, 15, 30, 45), ALL_HOURS, None, None),
        ("5/20 */6 * * *", (5, 25, 45), (0, 6, 12, 18), None, None),
        ("0,30 8-10 * * *", (0, 30), (8, 9, 10), None, None),
        ("0 0-23/8 * * *", (0,), (0, 8, 16), None, None),
        ("30 0,12 * * *", (30,), (0, 12), None, None),
        ("10,5,5 1 * * *", (5, 10), (1,), None, None),
        ("0 2 1,15 * *", (0,), (2,), (1, 15), None),
        ("0 2 28-31 * *", (0,), (2,), (28, 29, 30, 31), None),
        ("0 3 * * 0", (0,), (3,), None, ("Sunday",)),
        ("0 3 * * 7", (0,), (3,), None, ("Sunday",)),
        ("0 3 * * 0,7", (0,), (3,), None, ("Sunday",)),
        ("0 3 * * 1-5", (0,), (3,), None, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")),
        ("0 3 * * 5-7", (0,), (3,), None, ("Friday", "Saturday", "Sunday")),
        ("0 3 * * 6,1", (0,), (3,), None, ("Monday", "Saturday")),
        ("0 3 * * */2", (0,), (3,), None, ("Sunday", "Tuesday", "Thursday", "Saturday")),
        ("  0   4 *  * *  ", (0,), (4,), None, None),
    ],
)
def test_parse(expression: str, minutes: tuple[int, ...], hours: tuple[int, ...],
               month_days: tuple[int, ...] | None, week_days: tuple[str, ...] | None) -> None:
    cron = Cron.parse(expression, "W. Europe Standard Time")
    assert (cron.minutes, cron.hours, cron.month_days, cron.week_days) == (minutes, hours, month_days, week_days)
    assert cron.expression == expression
    assert cron.timezone == "W. Europe Standard Time"
    assert cron.runs_per_day == len(minutes) * len(hours)


def test_defaults_and_equality() -> None:
    cron = Cron.parse("0 1 * * *")
    assert cron.timezone == "UTC"
    assert cron == Cron.parse("0 1 * * *")  # the origin does not take part in equality
    assert Cron.parse("*/15 * * * *").runs_per_day == 96


def test_weekday_seven_is_sunday() -> None:
    assert Cron.parse("0 3 * * 7").week_days == Cron.parse("0 3 * * 0").week_days == (WEEKDAYS[0],)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 0 1 * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 6"),
        ("0 1 * *", "expected 5 fields"),
        ("", "found 0"),
        ("0 1 * 6 *", "month must be '*'"),
        ("0 1 * 1-12 *", "month must be '*'"),
        ("0 1 1 * 1", "give days of the month or days of the week, not both"),
        ("60 * * * *", "minute: '60' is outside 0-59"),
        ("0 24 * * *", "hour: '24' is outside 0-23"),
        ("0 0 0 * *", "day of month: '0' is outside 1-31"),
        ("0 0 32 * *", "day of month: '32' is outside 1-31"),
        ("0 0 * * 8", "day of week: '8' is outside 0-7"),
        ("5-1 * * * *", "minute: '5-1' is outside 0-59"),
        ("*/0 * * * *", "minute: bad step '0'"),
        ("*/x * * * *", "minute: bad step 'x'"),
        ("*/ * * * *", "minute: bad step ''"),
        ("5/ * * * *", "minute: bad step ''"),
        ("0/-1 * * * *", "minute: bad step '-1'"),
        ("a-b * * * *", "minute: bad range 'a-b'"),
        ("1- * * * *", "minute: bad range '1-'"),
        ("-1 * * * *", "minute: bad range '-1'"),
        ("x * * * *", "minute: 'x' is not a number, range or '*'"),
        ("0 MON * * *", "hour: 'MON' is not a number"),
        ("0 3 * * MON", "day of week: 'MON' is not a number"),
        ("0, * * * *", "minute: '' is not a number"),
        ("? * * * *", "minute: '?' is not a number"),
        ("@daily", "expected 5 fields"),
    ],
)
def test_invalid(expression: str, message: str) -> None:
    with pytest.raises(CronError) as info:
        Cron.parse(expression)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
