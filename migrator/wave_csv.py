"""The admin's list of waves for a migration during operation: `user,wave,date` per line.

Read like the password list (migrator.accounts_csv): `,` or `;` between the fields, UTF-8 with or
without a byte order mark, an optional header line, every bad row reported with its number; the
caller decides whether the good rows may be kept. The date may be empty, ISO (2026-05-04) or
German (4.5.2026); a wave given two different dates is a mistake in every row that names it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from migrator.accounts_csv import HEADER_NAMES, RowProblem, _decode, _separator
from migrator.errors import BadArguments
from migrator.text import say

HEADER_WAVES = {"wave", "welle", "group", "gruppe", "batch"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y")
MAX_WAVE_NAME = 100


@dataclass(frozen=True)
class WaveRow:
    """A good row: `key` is the caller's identity for the user the name matched."""

    row: int
    username: str
    key: str
    wave: str
    planned_for: date | None


@dataclass(frozen=True)
class WaveFile:
    rows: tuple[WaveRow, ...]
    problems: tuple[RowProblem, ...]
    separator: str
    had_header: bool

    def waves(self) -> dict[str, date | None]:
        """Every wave the good rows name, in the file's order, with its date."""
        waves: dict[str, date | None] = {}
        for row in self.rows:
            waves[row.wave] = waves.get(row.wave) or row.planned_for
        return waves


def read_wave_csv(data: bytes, known: Mapping[str, str]) -> WaveFile:
    """Parse the upload. `known` maps every accepted login name (lower case) to a user key.

    Raises BadArguments when the file as a whole is unreadable (not UTF-8, empty)."""
    text = _decode(data)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise BadArguments(say("the file is empty"))
    separator = _separator(lines, known)
    problems: list[RowProblem] = []
    candidates: list[WaveRow] = []
    had_header = False
    records = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    for number, fields in enumerate(records, start=1):
        if not any(value.strip() for value in fields):
            continue
        if not candidates and not problems and not had_header and _is_header(fields, known):
            had_header = True
            continue
        result = _row(number, fields, known)
        (problems if isinstance(result, RowProblem) else candidates).append(result)
    rows, mistakes = _consistent(candidates)
    return WaveFile(
        tuple(rows), tuple(sorted(problems + mistakes, key=lambda p: p.row)), separator, had_header
    )


def _is_header(fields: list[str], known: Mapping[str, str]) -> bool:
    name = fields[0].strip().lower()
    wave = fields[1].strip().lower() if len(fields) > 1 else ""
    return name not in known and name in HEADER_NAMES and wave in HEADER_WAVES


def _row(number: int, fields: list[str], known: Mapping[str, str]) -> WaveRow | RowProblem:
    values = [value.strip() for value in fields]
    if len(values) > 3 and any(values[3:]):
        return RowProblem(
            number, say("{count} columns instead of user, wave and date", count=len(values))
        )
    username, wave, day = [*values, "", ""][:3]
    if not username:
        return RowProblem(number, say("the user is empty"))
    key = known.get(username.lower())
    if key is None:
        return RowProblem(
            number, say("no user “{username}” in the directory import", username=username)
        )
    if not wave:
        return RowProblem(number, say("the wave for “{username}” is empty", username=username))
    if len(wave) > MAX_WAVE_NAME:
        return RowProblem(
            number,
            say("the wave's name is longer than {count} characters", count=MAX_WAVE_NAME),
        )
    planned_for = None
    if day:
        planned_for = _date(day)
        if planned_for is None:
            return RowProblem(
                number, say("“{day}” is not a date (2026-05-04 or 4.5.2026)", day=day)
            )
    return WaveRow(number, username, key, wave, planned_for)


def _date(text: str) -> date | None:
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def _consistent(rows: list[WaveRow]) -> tuple[list[WaveRow], list[RowProblem]]:
    """A user in two rows keeps neither (which wave is right cannot be known); so does a wave
    with two different dates."""
    by_user: dict[str, list[WaveRow]] = {}
    dates: dict[str, set[date]] = {}
    for row in rows:
        by_user.setdefault(row.key, []).append(row)
        if row.planned_for:
            dates.setdefault(row.wave, set()).add(row.planned_for)
    problems = []
    good = []
    for row in rows:
        same = by_user[row.key]
        if len(same) > 1:
            numbers = ", ".join(str(r.row) for r in same)
            duplicate = say(
                "“{username}” is a duplicate: rows {rows}", username=row.username, rows=numbers
            )
            problems.append(RowProblem(row.row, duplicate))
        elif len(dates.get(row.wave, ())) > 1:
            days = ", ".join(sorted(d.isoformat() for d in dates[row.wave]))
            dated = say(
                "the wave “{wave}” has more than one date: {dates}", wave=row.wave, dates=days
            )
            problems.append(RowProblem(row.row, dated))
        else:
            good.append(row)
    return good, problems
