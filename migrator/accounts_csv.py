"""CSV files about accounts: the admin's list of user passwords (read) and the accounts for
the Intra2net user manager (written).

The password list is `username,password` per line, `,` or `;` between them, UTF-8 with or
without a byte order mark, with or without a header line. Every bad row is reported with its
line number; the caller decides whether the good rows may be kept.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from migrator.errors import BadArguments
from migrator.text import say

HEADER_NAMES = {
    "username",
    "user",
    "user name",
    "login",
    "login name",
    "account",
    "name",
    "samaccountname",
    "email",
    "e-mail",
    "mail",
    "benutzer",
    "benutzername",
    "anmeldename",
    "konto",
}
HEADER_PASSWORDS = {"password", "passwort", "kennwort", "pw", "pwd"}
SEPARATORS = (",", ";")


@dataclass(frozen=True)
class PasswordRow:
    """A good row: `key` is the caller's identity for the user the name matched."""

    row: int
    username: str
    key: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class RowProblem:
    row: int
    message: str  # said with migrator.text.say

    def __str__(self) -> str:
        return say("Row {row}: {problem}", row=self.row, problem=self.message)


@dataclass(frozen=True)
class PasswordFile:
    rows: tuple[PasswordRow, ...]
    problems: tuple[RowProblem, ...]
    separator: str
    had_header: bool


def read_password_csv(data: bytes, known: Mapping[str, str]) -> PasswordFile:
    """Parse the upload. `known` maps every accepted login name (lower case) to a user key.

    Raises BadArguments when the file as a whole is unreadable (not UTF-8, empty)."""
    text = _decode(data)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise BadArguments(say("the file is empty"))
    separator = _separator(lines, known)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    problems: list[RowProblem] = []
    candidates: list[PasswordRow] = []
    had_header = False
    for number, fields in enumerate(records, start=1):
        if not any(value.strip() for value in fields):
            continue
        if not candidates and not problems and not had_header and _is_header(fields, known):
            had_header = True
            continue
        result = _row(number, fields, separator, known)
        (problems if isinstance(result, RowProblem) else candidates).append(result)
    rows, duplicates = _without_duplicates(candidates)
    problems = sorted(problems + duplicates, key=lambda p: p.row)
    return PasswordFile(tuple(rows), tuple(problems), separator, had_header)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise BadArguments(
            say(
                "the file is not UTF-8 text (first bad byte in line {line}); save it as "
                "“CSV UTF-8” and upload it again",
                line=line,
            )
        ) from None


def _separator(lines: list[str], known: Mapping[str, str]) -> str:
    """The separator under which more first columns are known names (or a header)."""

    def score(separator: str) -> int:
        hits = 0
        for line in lines:
            first = line.split(separator, 1)[0].strip().strip('"').lower()
            if first in known or first in HEADER_NAMES:
                hits += 1
        return hits

    scores = {separator: score(separator) for separator in SEPARATORS}
    if scores[","] != scores[";"]:
        return max(scores, key=scores.__getitem__)
    first = lines[0]
    positions = [(first.find(s), s) for s in SEPARATORS if s in first]
    return min(positions)[1] if positions else ","


def _is_header(fields: list[str], known: Mapping[str, str]) -> bool:
    if len(fields) < 2:
        return False
    name, password = fields[0].strip().lower(), fields[1].strip().lower()
    return name not in known and name in HEADER_NAMES and password in HEADER_PASSWORDS


def _row(number: int, fields: list[str], separator: str, known: Mapping[str, str]):
    username = fields[0].strip()
    if len(fields) > 2 and any(value for value in fields[2:]):
        return RowProblem(
            number,
            say(
                "{count} columns instead of 2; put a password that contains “{separator}” in "
                "double quotes",
                count=len(fields),
                separator=separator,
            ),
        )
    password = fields[1] if len(fields) > 1 else ""
    if not username:
        return RowProblem(number, say("the username is empty"))
    key = known.get(username.lower())
    if key is None:
        return RowProblem(
            number, say("no user “{username}” in the directory import", username=username)
        )
    if not password:
        return RowProblem(number, say("the password for “{username}” is empty", username=username))
    return PasswordRow(number, username, key, password)


def _without_duplicates(rows: list[PasswordRow]) -> tuple[list[PasswordRow], list[RowProblem]]:
    """A user named twice keeps neither password: which one is right cannot be known."""
    by_key: dict[str, list[PasswordRow]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    good = [row for row in rows if len(by_key[row.key]) == 1]
    problems = []
    for same in by_key.values():
        if len(same) > 1:
            numbers = ", ".join(str(row.row) for row in same)
            problems.extend(
                RowProblem(
                    row.row,
                    say(
                        "“{username}” is a duplicate: the same user is in rows {rows}",
                        username=row.username,
                        rows=numbers,
                    ),
                )
                for row in same
            )
    return good, problems


# --- the accounts for the Intra2net user manager -----------------------------------------------

USER_COLUMNS = (
    "login",
    "display_name",
    "first_name",
    "last_name",
    "email",
    "aliases",
    "groups",
    "imceaex_aliases",
)
GROUP_COLUMNS = ("group", "email", "aliases", "members")
LIST_SEPARATOR = ";"  # between several values in one cell


@dataclass(frozen=True)
class AccountRow:
    login: str
    display_name: str
    first_name: str
    last_name: str
    email: str
    aliases: tuple[str, ...]
    groups: tuple[str, ...]
    # The user's old internal Exchange addresses as IMCEAEX aliases (see
    # migrator.internal_addresses.imceaex_aliases): the other fix for steps 14 and 15.
    imceaex_aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupRow:
    name: str
    email: str
    aliases: tuple[str, ...]
    members: tuple[str, ...]  # logins


def write_accounts_csv(accounts: Iterable[AccountRow]) -> str:
    """One line per user, field names on the first line (README: "Accounts for the
    Intra2net server")."""
    return _write(
        USER_COLUMNS,
        (
            (
                a.login,
                a.display_name,
                a.first_name,
                a.last_name,
                a.email,
                LIST_SEPARATOR.join(a.aliases),
                LIST_SEPARATOR.join(a.groups),
                LIST_SEPARATOR.join(a.imceaex_aliases),
            )
            for a in accounts
        ),
    )


def write_groups_csv(groups: Iterable[GroupRow]) -> str:
    """One line per group with its members' logins."""
    return _write(
        GROUP_COLUMNS,
        (
            (g.name, g.email, LIST_SEPARATOR.join(g.aliases), LIST_SEPARATOR.join(g.members))
            for g in groups
        ),
    )


def _write(columns: tuple[str, ...], rows: Iterable[tuple]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_safe_cell(value) for value in row])
    return out.getvalue()


def _safe_cell(value: str) -> str:
    """A spreadsheet would run a cell starting with = + @ as a formula (names come from AD,
    which anyone with a mailbox may have influenced)."""
    return f"'{value}" if value[:1] in ("=", "+", "@") else value
