"""The admin's list of waves, `user,wave,date`: good rows kept, every bad row named."""

from __future__ import annotations

from datetime import date

import pytest

from migrator.errors import BadArguments
from migrator.wave_csv import read_wave_csv

KNOWN = {"anna": "1", "anna@corp.example": "1", "bernd": "2", "claire": "3", "dieter": "4"}


def test_it_reads_users_waves_and_dates_with_a_header_and_semicolons():
    data = "\ufeffUser;Wave;Date\nanna@corp.example;Sales;2026-05-04\nBernd;Sales;\n" \
           "claire;Support;11.5.2026\n"

    parsed = read_wave_csv(data.encode(), KNOWN)

    assert parsed.had_header and parsed.separator == ";" and not parsed.problems
    assert [(r.key, r.wave, r.planned_for) for r in parsed.rows] == [
        ("1", "Sales", date(2026, 5, 4)),
        ("2", "Sales", None),
        ("3", "Support", date(2026, 5, 11)),
    ]
    assert parsed.waves() == {"Sales": date(2026, 5, 4), "Support": date(2026, 5, 11)}


def test_it_names_every_bad_row_and_keeps_the_good_ones_apart():
    data = (
        "anna,Sales,2026-05-04\n"
        "nobody,Sales,\n"
        "bernd,,\n"
        "claire,Support,tomorrow\n"
        "dieter,Sales,2026-05-05\n"
        "anna,Support,\n"
        "bernd,Sales,,extra\n"
    )

    parsed = read_wave_csv(data.encode(), KNOWN)

    assert [str(p) for p in parsed.problems] == [
        "Row 1: “anna” is a duplicate: rows 1, 6",
        "Row 2: no user “nobody” in the directory import",
        "Row 3: the wave for “bernd” is empty",
        "Row 4: “tomorrow” is not a date (2026-05-04 or 4.5.2026)",
        "Row 5: the wave “Sales” has more than one date: 2026-05-04, 2026-05-05",
        "Row 6: “anna” is a duplicate: rows 1, 6",
        "Row 7: 4 columns instead of user, wave and date",
    ]
    assert parsed.rows == ()


def test_an_empty_or_binary_file_is_refused_as_a_whole():
    with pytest.raises(BadArguments, match="empty"):
        read_wave_csv(b"\n \n", KNOWN)
    with pytest.raises(BadArguments, match="not UTF-8"):
        read_wave_csv(b"anna,\xff\xfe,\n", KNOWN)
