"""maaza.checks.dates reads the dates and date-times a text states, as English texts write them, and no others."""

import pytest

from maaza.checks.dates import stated_dates, stated_datetimes


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("Due 2025-04-02.", ["2025-04-02"]),
        ("Due 2025/4/2.", ["2025-04-02"]),
        ("Due by April 2, 2025 at noon.", ["2025-04-02"]),
        ("Due Apr. 2nd 2025", ["2025-04-02"]),
        ("Due 2 April 2025", ["2025-04-02"]),
        ("Due the 2nd of April 2025", ["2025-04-02"]),
        ("Due 02-Apr-2025", ["2025-04-02"]),
        ("Due 02.04.2025", ["2025-04-02"]),  # day first
        ("Due 04/02/2025", ["2025-04-02", "2025-02-04"]),  # either order
        ("Due 13/02/2025", ["2025-02-13"]),  # the other order is no date
        ("Born Sept 9, 1944; seen 9 Sep 1944", ["1944-09-09", "1944-09-09"]),  # once per time it is written
        ("Due 2025-02-30, April 31, 2025 or 2025", []),
        ("Call 555-0134 about order 12/2025", []),
    ],
)
def test_dates_as_texts_write_them(text, dates):
    assert sorted(stated_dates(text)) == sorted(dates)


@pytest.mark.parametrize(
    ("text", "moments"),
    [
        ("Booked at 16 Jun 2025, 6:14 AM UTC.", ["2025-06-16T06:14:00Z"]),
        ("Booked at 16 Jun 2025, 12:05 a.m. GMT.", ["2025-06-16T00:05:00Z"]),
        ("Sent June 16, 2025 at 18:14 UTC", ["2025-06-16T18:14:00Z"]),
        ("Logged 2025-06-16T18:14:05.250Z", ["2025-06-16T18:14:05.250Z"]),
        ("Logged 2025-06-16 18:14:05+05:30", ["2025-06-16T18:14:05+05:30"]),
        ("Logged 2025-06-16 18:14", ["2025-06-16T18:14"]),  # no zone after an ISO date: as software prints it
        ("Logged 2005-07-03T17:42:53.545351", ["2005-07-03T17:42:53.545351"]),
        ("Logged June 16, 2025 at 18:14", []),  # no zone after a date in words: no date-time
        ("Logged 16 Jun 2025, 13:14 PM UTC", []),  # no such clock
    ],
)
def test_date_times_need_a_clock_and_a_zone_or_an_iso_date(text, moments):
    assert stated_datetimes(text) == moments
    assert stated_dates(text) == [moment[:10] for moment in moments] or not moments
