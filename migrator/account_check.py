"""Whether each user's account exists on the target IMAP server, found by logging in: as the
user with their own password, or as the target's administrator acting for them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from enum import StrEnum

from migrator.endpoints import Credentials, ImapEndpoint, LoginMode
from migrator.errors import LoginRefused, MigratorError
from migrator.session import open_session
from migrator.text import say

# Dovecot's and Cyrus' answer when the administrator's own password is wrong, as opposed to
# AUTHORIZATIONFAILED when the user it acts for does not exist.
ADMIN_REFUSED = "AUTHENTICATIONFAILED"


class AccountState(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class AccountLogin:
    """One account to check; `key` is the caller's identity of the user. Credentials None
    means there is no way to log in for this user (no password known)."""

    key: str
    credentials: Credentials | None


@dataclass(frozen=True)
class AccountCheck:
    key: str
    state: AccountState
    message: str


def iter_account_checks(
    endpoint: ImapEndpoint, logins: Sequence[AccountLogin], *, workers: int = 4
) -> Iterator[AccountCheck]:
    """Log in for each account, a few at a time (a failed login may be delayed by the
    server), and yield each result as it comes."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(check_account, endpoint, login) for login in logins]
        for future in as_completed(futures):
            yield future.result()


def check_account(endpoint: ImapEndpoint, login: AccountLogin) -> AccountCheck:
    credentials = login.credentials
    if credentials is None or not credentials.password:
        return AccountCheck(
            login.key,
            AccountState.UNKNOWN,
            say("no password: upload the users' passwords or log in as the target's administrator"),
        )
    try:
        client = open_session(endpoint, credentials)
    except LoginRefused as e:
        acting = credentials.mode != LoginMode.USER
        if acting and ADMIN_REFUSED in str(e).upper():
            return AccountCheck(
                login.key,
                AccountState.UNKNOWN,
                say("the administrator's login is refused, so nothing is known ({error})", error=e),
            )
        missing = (
            say("no such account: {error}", error=e)
            if acting
            else say("no such account, or a wrong password: {error}", error=e)
        )
        return AccountCheck(login.key, AccountState.MISSING, missing)
    except MigratorError as e:
        return AccountCheck(login.key, AccountState.UNKNOWN, str(e))
    # The login worked; a rough goodbye changes nothing.
    with contextlib.suppress(Exception):
        client.logout()
    return AccountCheck(login.key, AccountState.PRESENT, say("the login works"))
