"""What an IMAP server offers: its capabilities, and after a login its folder namespace."""

from __future__ import annotations

from dataclasses import dataclass

from migrator.endpoints import Credentials, ImapEndpoint
from migrator.session import connect, login
from migrator.text import say


@dataclass(frozen=True)
class ServerProbe:
    capabilities: tuple[str, ...]
    logged_in: bool
    separator: str | None = None
    personal_prefix: str | None = None

    def summary(self) -> str:
        capabilities = " ".join(self.capabilities)
        if self.logged_in:
            return say(
                "login works; separator {separator}, capabilities: {capabilities}",
                separator=repr(self.separator),
                capabilities=capabilities,
            )
        return say("capabilities: {capabilities}", capabilities=capabilities)


def probe_server(endpoint: ImapEndpoint, credentials: Credentials | None = None) -> ServerProbe:
    """Connect, and log in when credentials are given; raises a MigratorError when it can't."""
    client = connect(endpoint)
    try:
        if credentials is None:
            return ServerProbe(_capabilities(client), logged_in=False)
        login(client, credentials)
        separator, prefix = None, None
        if client.has_capability("NAMESPACE"):
            personal = client.namespace().personal
            if personal:
                prefix, separator = personal[0]
        if separator is None:
            _flags, delimiter, _name = client.list_folders("", "")[0]
            separator = delimiter.decode() if isinstance(delimiter, bytes) else delimiter
        return ServerProbe(_capabilities(client), True, separator, prefix)
    finally:
        client.shutdown()


def _capabilities(client) -> tuple[str, ...]:
    return tuple(sorted(c.decode() for c in client.capabilities()))
