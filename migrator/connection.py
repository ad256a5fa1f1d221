"""A logged-in IMAP session that can be reopened, and the translation of what imaplib raises
into the engine's errors (a dropped link or throttling is transient, a NO is the server's
answer)."""

from __future__ import annotations

import contextlib
import imaplib
import re
import time
from collections.abc import Iterator

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from migrator.endpoints import Credentials, ImapEndpoint
from migrator.errors import CommandRefused, ConnectionLost, Throttled
from migrator.session import open_session
from migrator.text import say

SELECT_RETRY_SECONDS = 0.2
# Exchange: "Request is throttled. Suggested Backoff Time: 5000 milliseconds".
_THROTTLED = re.compile(r"throttled.*?backoff time:\s*(\d+)\s*milli", re.IGNORECASE)


class Connection:
    """One server, one user; `role` ('source'/'target') names it in messages."""

    def __init__(self, endpoint: ImapEndpoint, credentials: Credentials, role: str) -> None:
        self.endpoint = endpoint
        self.credentials = credentials
        self.role = role
        self._client: imapclient.IMAPClient | None = None
        self.selected: str | None = None

    @property
    def client(self) -> imapclient.IMAPClient:
        if self._client is None:
            self.open()
        assert self._client is not None
        return self._client

    def open(self) -> None:
        """Connect and log in; raises LoginRefused, ServerUnreachable or TlsFailed."""
        self.close()
        client = open_session(self.endpoint, self.credentials)
        # Aware datetimes, so that internal dates keep their zone through the copy.
        client.normalise_times = False
        self._client = client

    def close(self) -> None:
        client, self._client, self.selected = self._client, None, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.shutdown()

    def logout(self) -> None:
        client, self._client, self.selected = self._client, None, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.logout()
            with contextlib.suppress(Exception):
                client.shutdown()

    def select(self, folder: str, *, readonly: bool) -> dict:
        """SELECT or, read-only, EXAMINE; the answer's items (PERMANENTFLAGS, UIDVALIDITY…)."""
        try:
            with self.errors(say("opening {folder}", folder=repr(folder))):
                answer = self.client.select_folder(folder, readonly=readonly)
        except CommandRefused:
            # Once more: Dovecot refuses a folder it is auto-creating for another session
            # at that moment ("[ALREADYEXISTS]"); a real refusal comes back the same.
            time.sleep(SELECT_RETRY_SECONDS)
            with self.errors(say("opening {folder}", folder=repr(folder))):
                answer = self.client.select_folder(folder, readonly=readonly)
        self.selected = folder
        return answer

    def capability(self, name: str) -> bool:
        return self.client.has_capability(name)

    def capability_value(self, name: str) -> str | None:
        """The value of a NAME=VALUE capability, such as APPENDLIMIT."""
        prefix = name.upper().encode() + b"="
        for cap in self.client.capabilities():
            if cap.upper().startswith(prefix):
                return cap[len(prefix) :].decode()
        return None

    @contextlib.contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Raise ConnectionLost, Throttled or CommandRefused for what imaplib raises.

        `doing` is said with say() ("listing folders", "opening {folder}"): it ends the
        sentences "… broke while {doing}" and "… refused {doing}" (German: "beim {doing}",
        "das {doing}", so a noun phrase such as "Auflisten der Ordner")."""
        try:
            yield
        except (IMAPClientAbortError, imaplib.IMAP4.abort, OSError, EOFError) as e:
            raise ConnectionLost(self._broke(doing, _reason(e))) from None
        except IMAPClientError as e:
            raise refusal(e, self.role, str(self.endpoint), doing) from None

    def _broke(self, doing: str, reason: str) -> str:
        values = {"server": str(self.endpoint), "doing": doing, "reason": reason}
        if self.role == "target":
            return say(
                "the connection to the target server {server} broke while {doing}: {reason}",
                **values,
            )
        return say(
            "the connection to the source server {server} broke while {doing}: {reason}", **values
        )


def refusal(error: Exception, role: str, server: str, doing: str) -> Throttled | CommandRefused:
    """What a NO or BAD answer means: throttling (wait as told), or a refusal. A sentence for
    each role, so that the German can say "Quellserver" and "Zielserver" in any case."""
    values = {"server": server, "doing": doing, "reason": _reason(error)}
    throttled = _THROTTLED.search(values["reason"])
    if throttled:
        backoff = int(throttled.group(1)) / 1000
        if role == "target":
            return Throttled(
                say("the target server {server} throttles: {reason}", **values), backoff
            )
        return Throttled(say("the source server {server} throttles: {reason}", **values), backoff)
    if role == "target":
        return CommandRefused(say("the target server {server} refused {doing}: {reason}", **values))
    return CommandRefused(say("the source server {server} refused {doing}: {reason}", **values))


def _reason(error: Exception) -> str:
    text = str(error).strip()
    for noise in ("command: ", "socket error: "):
        if noise in text.lower():
            text = text[text.lower().index(noise) + len(noise) :]
    return text.strip("b'\" ") or type(error).__name__
