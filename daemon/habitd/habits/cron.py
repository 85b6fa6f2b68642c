"""Five-field cron expressions (minute hour day-of-month month day-of-week).

A small parser of our own so that the command line can answer "when is the
next reminder" without importing APScheduler. Semantics follow Vixie cron:
``*``, lists, ranges, ``/step``, month and weekday names, 0 and 7 both Sunday,
and when both day fields are restricted a day matches if either does.
"""

from __future__ import annotations

from datetime import date, time

from habitd.records import Record

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DOWS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class CronSyntaxError(ValueError):
    pass


class Cron(Record):
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    doms: frozenset[int]
    months: frozenset[int]
    dows: frozenset[int]  # 0 = Sunday .. 6 = Saturday
    dom_any: bool
    dow_any: bool

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        dom_ok = day.day in self.doms
        dow_ok = (day.isoweekday() % 7) in self.dows
        if self.dom_any or self.dow_any:
            return dom_ok and dow_ok
        return dom_ok or dow_ok

    def times_on(self, day: date) -> list[time]:
        if not self.matches_day(day):
            return []
        return [time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]


def _value(token: str, lo: int, hi: int, names: tuple[str, ...], name_base: int) -> int:
    low = token.lower()
    if low in names:
        return names.index(low) + name_base
    if not token.isdigit():
        raise CronSyntaxError(f"{token!r} is not a number or a name")
    n = int(token)
    if not lo <= n <= hi:
        raise CronSyntaxError(f"{n} is outside {lo}-{hi}")
    return n


def _field(text: str, lo: int, hi: int, names: tuple[str, ...] = (), name_base: int = 0) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronSyntaxError(f"step {step_text!r} is not a positive number")
            step = int(step_text)
        if part == "*":
            start, end = lo, hi
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, lo, hi, names, name_base), _value(b, lo, hi, names, name_base)
            if start > end:
                raise CronSyntaxError(f"range {part!r} runs backwards")
        else:
            start = _value(part, lo, hi, names, name_base)
            end = hi if step > 1 else start
        out.update(range(start, end + 1, step))
    return frozenset(out)


def parse_cron(text: str) -> Cron:
    fields = text.split()
    if len(fields) != 5:
        raise CronSyntaxError(f"needs 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, dom, month, dow = fields
    dows = _field(dow, 0, 7, _DOWS)
    return Cron(
        text=text,
        minutes=_field(minute, 0, 59),
        hours=_field(hour, 0, 23),
        doms=_field(dom, 1, 31),
        months=_field(month, 1, 12, _MONTHS, 1),
        dows=frozenset(d % 7 for d in dows),
        dom_any=dom.startswith("*"),
        dow_any=dow.startswith("*"),
    )
