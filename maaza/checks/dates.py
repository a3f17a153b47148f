"""The dates and date-times a text states, read in the ways English texts write them, as JSON Schema writes them.

A date reads as ``2025-04-02``, ``2025/4/2``, ``April 2, 2025``, ``Apr 2nd, 2025``, ``2 April 2025``, ``2nd of April
2025``, ``02-Apr-2025``, ``02.04.2025`` (day first) or ``04/02/2025`` (either order, both readings kept). A clock may
follow it (``, 6:14 AM``, `` at 18:14:05.25``, ``T18:14``) with a zone (``UTC``, ``GMT``, ``Z``, ``+05:30``): a
date-time, written ``2025-04-02T06:14:00Z``. Without a zone, a clock after an ISO date (``2005-07-03T17:42:53.545351``,
``2005-07-03 17:42``) states a date-time as software prints it, written as the text writes it (``T`` for a space).

Usage: ``stated_dates("Due by April 2, 2025.")`` -> ``["2025-04-02"]``
"""

from __future__ import annotations

import calendar
import re

MONTHS = {
    name.lower(): number
    for names in (calendar.month_name, calendar.month_abbr)
    for number, name in enumerate(names)
    if name
} | {"sept": 9}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_CLOCK = (
    r"(?:(?:,\s*|\s+at\s+|\s+|T)(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:\s*([ap])\.?m\.?)?"
    r"(?:\s*(UTC|GMT|Z|[+-]\d{2}:\d{2}))?)?"
)
DATES = [  # a date's pattern and the order of its year, month and day
    (r"\b(\d{4})-(\d{2})-(\d{2})", "ymd"),
    (r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b", "ymd"),
    (rf"\b({_MONTH})\.?\s+{_DAY},?\s+(\d{{4}})\b", "mdy"),
    (rf"\b{_DAY}(?:\s+of)?\s+({_MONTH})\.?,?\s+(\d{{4}})\b", "dmy"),
    (rf"\b(\d{{1,2}})-({_MONTH})-(\d{{4}})\b", "dmy"),
    (r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b", "dmy"),
    (r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", "mdy"),
    (r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", "dmy"),
]
PATTERNS = [(re.compile(pattern + _CLOCK, re.IGNORECASE), order, n == 0) for n, (pattern, order) in enumerate(DATES)]


def _moment(groups: tuple[str | None, ...], order: str, iso: bool) -> tuple[str, str | None] | None:
    """A match's date and, when it gives a clock and a zone (or an ``iso`` date a clock), its date-time; None when it
    is no real date."""
    parts = dict(zip(order, groups[:3], strict=True))
    year, day = int(parts["y"]), int(parts["d"])
    month = int(parts["m"]) if parts["m"].isdigit() else MONTHS[parts["m"].lower()]
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    date = f"{year:04d}-{month:02d}-{day:02d}"
    hour, minute, second, fraction, half, zone = groups[3:]
    if hour is None or (zone is None and not iso):
        return date, None
    hour_of_day = int(hour)
    if half:
        if not 1 <= hour_of_day <= 12:
            return date, None
        hour_of_day = hour_of_day % 12 + (12 if half.lower() == "p" else 0)
    if hour_of_day > 23 or int(minute) > 59:
        return date, None
    if zone is None:
        return date, f"{date}T{hour_of_day:02d}:{minute}{f':{second}' if second else ''}{fraction or ''}"
    zone = "Z" if zone.upper() in ("UTC", "GMT", "Z") else zone
    return date, f"{date}T{hour_of_day:02d}:{minute}:{second or '00'}{fraction or ''}{zone}"


def stated_moments(text: str) -> list[tuple[str, str | None]]:
    """Each date ``text`` writes, once per time it writes it, with its date-time (None without a clock, or a zone
    after a date that is not ISO)."""
    moments = []
    for pattern, order, iso in PATTERNS:
        for match in pattern.finditer(text):
            moment = _moment(match.groups(), order, iso)
            if moment is not None:
                moments.append(moment)
    return moments


def stated_dates(text: str) -> list[str]:
    """The dates ``text`` writes, as ``YYYY-MM-DD``, once per time it writes each (a date-time's date too)."""
    return [date for date, _ in stated_moments(text)]


def stated_datetimes(text: str) -> list[str]:
    """The date-times ``text`` writes, as RFC 3339 (``2025-04-02T06:14:00Z``) or as a zone-less ISO one, once per time
    each."""
    return [moment for _, moment in stated_moments(text) if moment is not None]
