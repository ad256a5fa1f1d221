"""Mail fetching accounts: mailboxes at a provider that the Intra2net server collects by POP3 or
IMAP and delivers to one of its users (the manual's "list of all logins and passwords for
email retrieval").

- `check_login` logs in for real (poplib, or IMAP through the engine's session) and says
  whether it worked; its message never holds the password.
- `read_fetch_accounts_csv` reads the admin's list, reporting every bad row by number, like
  the password list of the directory step.
- `write_fetch_accounts_csv` writes the list for setting up the Intra2net server's mail
  fetching.

The CSV layout, read and written alike (so an export with passwords can be uploaded again):
a header line `protocol,host,port,tls,login,password,target_user`, then one account a line;
`,` or `;` between fields (written: `,`), UTF-8 with or without a byte order mark, CRLF.

- protocol: `pop3` or `imap` (empty: IMAP for ports 143 and 993, else POP3)
- host: the provider's server name, port: empty for the protocol's usual one
- tls: `tls` (implicit, POP3S/IMAPS), `starttls`, or `plain` (empty: `tls` on 995 and 993,
  else `starttls`; never plain unless asked for)
- login, password: the provider account's; target_user: the Intra2net user who gets the mail

Headers in German (Server, Benutzer, Passwort, Ziel...) and other column orders are read too;
without a header the columns are taken in the order above (six columns: without protocol).
The Intra2net server documents no import format for its mail fetching in the material this
project has, so the export is meant for the admin who enters the accounts there (and for a
re-upload), not for a machine import.
"""

from __future__ import annotations

import contextlib
import csv
import io
import poplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from migrator.accounts_csv import RowProblem
from migrator.endpoints import Credentials, ImapEndpoint, Security
from migrator.errors import BadArguments, MigratorError
from migrator.session import open_session
from migrator.text import say


class Protocol(StrEnum):
    POP3 = "pop3"
    IMAP = "imap"


class TlsMode(StrEnum):
    TLS = "tls"  # implicit TLS: POP3S, IMAPS
    STARTTLS = "starttls"  # STLS for POP3
    PLAIN = "plain"


DEFAULT_PORTS = {
    (Protocol.POP3, TlsMode.TLS): 995,
    (Protocol.POP3, TlsMode.STARTTLS): 110,
    (Protocol.POP3, TlsMode.PLAIN): 110,
    (Protocol.IMAP, TlsMode.TLS): 993,
    (Protocol.IMAP, TlsMode.STARTTLS): 143,
    (Protocol.IMAP, TlsMode.PLAIN): 143,
}
_IMAP_SECURITY = {
    TlsMode.TLS: Security.IMAPS,
    TlsMode.STARTTLS: Security.STARTTLS,
    TlsMode.PLAIN: Security.PLAIN,
}


@dataclass(frozen=True)
class FetchAccount:
    """One provider mailbox and the Intra2net user its mail goes to."""

    protocol: Protocol
    host: str
    port: int
    tls: TlsMode
    login: str
    password: str = field(repr=False)
    target_user: str = ""

    def __str__(self) -> str:
        # No words: it goes into sentences of either language.
        return f"{self.login} ({self.protocol.value}, {self.host}:{self.port})"


@dataclass(frozen=True)
class LoginCheck:
    ok: bool
    message: str


# --- logging in ------------------------------------------------------------------------------


def check_login(
    account: FetchAccount,
    *,
    ca_file: str | None = None,
    verify_tls: bool = True,
    timeout: float = 20.0,
) -> LoginCheck:
    """Log in to the provider as `account` and log out again. A POP3 login is confirmed with
    STAT, an IMAP login by examining INBOX; the message says what was found or why it
    failed, without the password."""
    if account.protocol == Protocol.IMAP:
        result = _check_imap(account, ca_file, verify_tls, timeout)
    else:
        result = _check_pop3(account, _tls_context(ca_file, verify_tls), timeout)
    if account.password and account.password in result.message:
        return LoginCheck(result.ok, result.message.replace(account.password, "********"))
    return result


def _tls_context(ca_file: str | None, verify_tls: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    if not verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _check_pop3(account: FetchAccount, context: ssl.SSLContext, timeout: float) -> LoginCheck:
    server = f"{account.host}:{account.port}"
    client: poplib.POP3 | None = None
    try:
        if account.tls == TlsMode.TLS:
            client = poplib.POP3_SSL(account.host, account.port, timeout=timeout, context=context)
        else:
            client = poplib.POP3(account.host, account.port, timeout=timeout)
        if account.tls == TlsMode.STARTTLS:
            try:
                client.stls(context)
            except poplib.error_proto as e:
                return LoginCheck(
                    False,
                    say(
                        "the POP3 server {server} does not offer STARTTLS ({reason}); choose "
                        "TLS, or plain if the provider has no TLS",
                        server=server,
                        reason=_reason(e),
                    ),
                )
        try:
            client.user(account.login)
            client.pass_(account.password)
        except poplib.error_proto as e:
            return LoginCheck(
                False,
                say(
                    "login as {user} refused by the POP3 server {server}: {reason}",
                    user=account.login,
                    server=server,
                    reason=_reason(e),
                ),
            )
        count, size = client.stat()
        return LoginCheck(
            True,
            say("the login works: {count} messages ({size} bytes) waiting", count=count, size=size),
        )
    except ssl.SSLError as e:
        return LoginCheck(
            False,
            say(
                "TLS with the POP3 server {server} failed ({reason}); give the CA file, or "
                "switch verification off for a self-signed certificate",
                server=server,
                reason=e.reason or e,
            ),
        )
    except poplib.error_proto as e:
        return LoginCheck(
            False,
            say(
                "the POP3 server {server} answered unexpectedly: {reason}",
                server=server,
                reason=_reason(e),
            ),
        )
    except (OSError, EOFError) as e:
        return LoginCheck(
            False,
            say(
                "cannot reach the POP3 server {server}: {reason}", server=server, reason=_reason(e)
            ),
        )
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.quit()
            with contextlib.suppress(Exception):
                client.close()


def _check_imap(
    account: FetchAccount, ca_file: str | None, verify_tls: bool, timeout: float
) -> LoginCheck:
    endpoint = ImapEndpoint(
        account.host, account.port, _IMAP_SECURITY[account.tls], ca_file, verify_tls, timeout
    )
    try:
        client = open_session(endpoint, Credentials(account.login, account.password))
    except MigratorError as e:
        return LoginCheck(False, str(e))
    try:
        exists = client.select_folder("INBOX", readonly=True).get(b"EXISTS", 0)
        return LoginCheck(True, say("the login works: {count} messages in INBOX", count=exists))
    except Exception as e:  # the login worked; what INBOX says is a bonus
        return LoginCheck(
            True, say("the login works (INBOX could not be examined: {reason})", reason=_reason(e))
        )
    finally:
        with contextlib.suppress(Exception):
            client.logout()


def _reason(error: BaseException) -> str:
    value = error.args[0] if error.args else error
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip()
    return text or type(error).__name__


# --- the admin's list ------------------------------------------------------------------------

COLUMNS = ("protocol", "host", "port", "tls", "login", "password", "target_user")
HEADERS = {
    "protocol": {"protocol", "protokoll", "type", "typ"},
    "host": {"host", "hostname", "host name", "server", "mail server", "mailserver"},
    "port": {"port"},
    "tls": {"tls", "ssl", "ssl/tls", "security", "encryption", "verschlüsselung", "sicherheit"},
    "login": {
        "login",
        "user",
        "username",
        "user name",
        "account",
        "benutzer",
        "benutzername",
        "anmeldename",
        "konto",
    },
    "password": {"password", "passwort", "kennwort", "pw", "pwd"},
    "target_user": {
        "target_user",
        "target user",
        "target",
        "local user",
        "deliver to",
        "ziel",
        "zielbenutzer",
        "lokaler benutzer",
        "postfach",
        "mailbox",
    },
}
_HEADER_COLUMN = {name: column for column, names in HEADERS.items() for name in names}
_TLS_WORDS = {
    TlsMode.TLS: {"tls", "ssl", "ssl/tls", "pop3s", "imaps", "implicit", "yes", "ja", "true"},
    TlsMode.STARTTLS: {"starttls", "stls", "start-tls", "start tls"},
    TlsMode.PLAIN: {"plain", "none", "no", "nein", "false", "keine", "unencrypted"},
}
_PROTOCOL_WORDS = {
    Protocol.POP3: {"pop3", "pop", "pop3s"},
    Protocol.IMAP: {"imap", "imap4", "imaps"},
}


@dataclass(frozen=True)
class FetchAccountRow:
    """A good row; `target_key` is the caller's identity of the target user ('' when the
    caller gave no list of users)."""

    row: int
    account: FetchAccount
    target_key: str = ""


@dataclass(frozen=True)
class FetchAccountFile:
    rows: tuple[FetchAccountRow, ...]
    problems: tuple[RowProblem, ...]
    separator: str
    had_header: bool


def read_fetch_accounts_csv(
    data: bytes, known_users: Mapping[str, str] | None = None
) -> FetchAccountFile:
    """Parse the upload. `known_users` maps every accepted target login (lower case) to a
    user key; without it any target user is taken.

    Raises BadArguments when the file as a whole is unreadable (not UTF-8, empty)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise BadArguments(
            say(
                "the file is not UTF-8 text (first bad byte in line {line}); save it as "
                "“CSV UTF-8” and upload it again",
                line=line,
            )
        ) from None
    if not text.strip():
        raise BadArguments(say("the file is empty"))
    separator = _separator(text)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    columns: tuple[str, ...] | None = None
    had_header = False
    candidates: list[FetchAccountRow] = []
    problems: list[RowProblem] = []
    for number, fields in enumerate(records, start=1):
        if not any(value.strip() for value in fields):
            continue
        if columns is None and not had_header:
            header = _header(fields)
            if header is not None:
                columns, had_header = header, True
                continue
        result = _row(number, fields, columns, known_users)
        (problems if isinstance(result, RowProblem) else candidates).append(result)
    rows, duplicates = _without_duplicates(candidates)
    problems = sorted(problems + duplicates, key=lambda p: p.row)
    return FetchAccountFile(tuple(rows), tuple(problems), separator, had_header)


def _separator(text: str) -> str:
    first = text.strip().splitlines()[0]
    return ";" if first.count(";") > first.count(",") else ","


def _header(fields: list[str]) -> tuple[str, ...] | None:
    names = [value.strip().lower() for value in fields]
    if not all(name in _HEADER_COLUMN for name in names if name):
        return None
    columns = tuple(_HEADER_COLUMN.get(name, "") for name in names)
    return columns if {"host", "login"} <= set(columns) else None


def _row(
    number: int,
    fields: list[str],
    columns: tuple[str, ...] | None,
    known_users: Mapping[str, str] | None,
) -> FetchAccountRow | RowProblem:
    if columns is None:
        if len(fields) not in (6, 7):
            return RowProblem(
                number,
                say(
                    "{count} columns instead of 7 ({columns}); or start the "
                    "file with a header line naming them",
                    count=len(fields),
                    columns=", ".join(COLUMNS),
                ),
            )
        columns = COLUMNS if len(fields) == 7 else COLUMNS[1:]
    elif len(fields) > len(columns) and any(value.strip() for value in fields[len(columns) :]):
        return RowProblem(
            number,
            say(
                "{count} columns, but the header names {named}",
                count=len(fields),
                named=len(columns),
            ),
        )
    values = {
        column: value if column == "password" else value.strip()  # a password keeps its spaces
        for column, value in zip(columns, fields, strict=False)
        if column
    }
    try:
        account = _account(values)
    except ValueError as e:
        return RowProblem(number, str(e))
    key = ""
    if known_users is not None:
        key = known_users.get(account.target_user.lower(), "")
        if not key:
            return RowProblem(
                number,
                say(
                    "no user “{user}” among the users who move to the Intra2net server",
                    user=account.target_user,
                ),
            )
    return FetchAccountRow(number, account, key)


def _account(values: dict[str, str]) -> FetchAccount:
    host, login = values.get("host", ""), values.get("login", "")
    if not host:
        raise ValueError(say("the host is empty"))
    if "://" in host or any(c.isspace() for c in host):
        raise ValueError(
            say(
                "“{host}” is no host name: give the name only, e.g. pop.provider.example", host=host
            )
        )
    if not login:
        raise ValueError(say("the login for {host} is empty", host=host))
    if not values.get("password"):
        raise ValueError(say("the password for “{login}” is empty", login=login))
    if not values.get("target_user"):
        raise ValueError(say("the target user for “{login}” is empty", login=login))
    port = _port(values.get("port", ""))
    text = values.get("protocol", "")
    protocol = _word(
        text,
        _PROTOCOL_WORDS,
        say("“{value}” is no protocol setting; write pop3 or imap", value=text),
    )
    if protocol is None:
        protocol = Protocol.IMAP if port in (143, 993) else Protocol.POP3
    text = values.get("tls", "")
    tls = _word(
        text,
        _TLS_WORDS,
        say("“{value}” is no TLS setting; write tls, starttls or plain", value=text),
    )
    if tls is None:
        tls = TlsMode.TLS if port in (993, 995) or port is None else TlsMode.STARTTLS
    return FetchAccount(
        protocol,
        host,
        port or DEFAULT_PORTS[(protocol, tls)],
        tls,
        login,
        values["password"],
        values["target_user"],
    )


def _port(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(say("“{value}” is no port number", value=text))
    return int(text)


def _word(text: str, words: Mapping, problem: str):
    """The value `text` spells, None when it is empty; `problem` says what is wrong else."""
    if not text:
        return None
    for value, spellings in words.items():
        if text.lower() in spellings:
            return value
    raise ValueError(problem)


def _without_duplicates(
    rows: list[FetchAccountRow],
) -> tuple[list[FetchAccountRow], list[RowProblem]]:
    """An account listed twice keeps neither row: which one is right cannot be known."""
    by_key: dict[tuple, list[FetchAccountRow]] = {}
    for row in rows:
        by_key.setdefault(_key(row), []).append(row)
    good = [row for row in rows if len(by_key[_key(row)]) == 1]
    problems = []
    for same in by_key.values():
        if len(same) > 1:
            numbers = ", ".join(str(row.row) for row in same)
            problems.extend(
                RowProblem(
                    row.row,
                    say(
                        "“{login}” at {host} is listed twice: rows {rows}",
                        login=row.account.login,
                        host=row.account.host,
                        rows=numbers,
                    ),
                )
                for row in same
            )
    return good, problems


def _key(row: FetchAccountRow) -> tuple:
    a = row.account
    return (a.protocol, a.host.lower(), a.port, a.login.lower())


def write_fetch_accounts_csv(
    accounts: Iterable[FetchAccount], *, include_passwords: bool = False
) -> str:
    """The accounts in the layout described at the top of this module; the password column
    stays empty unless `include_passwords` (an export with passwords is as secret as they
    are). Cells are written as they are, with no guard against spreadsheet formulas: the
    values come from the admin, and a password must survive unchanged."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for a in accounts:
        writer.writerow(
            (
                a.protocol.value,
                a.host,
                a.port,
                a.tls.value,
                a.login,
                a.password if include_passwords else "",
                a.target_user,
            )
        )
    return out.getvalue()
