"""Where a server is and how to log in: frozen values the engine is called with."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from migrator.errors import BadArguments
from migrator.text import say


class Security(StrEnum):
    IMAPS = "imaps"
    STARTTLS = "starttls"
    PLAIN = "plain"


class LoginMode(StrEnum):
    USER = "user"
    ADMIN_PLAIN = "admin_plain"
    ADMIN_MASTER = "admin_master"


@dataclass(frozen=True)
class ImapEndpoint:
    host: str
    port: int
    security: Security = Security.IMAPS
    ca_file: str | None = None
    verify_tls: bool = True
    timeout: float = 60.0

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Credentials:
    """Who logs in, and for whom. The password is left out of repr()."""

    user: str
    password: str = field(repr=False)
    mode: LoginMode = LoginMode.USER
    admin: str = ""
    master_separator: str = "*"


DEFAULT_PORTS = {Security.IMAPS: 993, Security.STARTTLS: 143, Security.PLAIN: 143}


def parse_imap_url(url: str, *, ca_file: str | None = None, insecure: bool = False) -> ImapEndpoint:
    """`imap://host:port` (plain), `imap://host:port?starttls` or `imaps://host:port`."""
    parts = urlsplit(url)
    if parts.scheme == "imaps":
        security = Security.IMAPS
    elif parts.scheme == "imap":
        security = Security.STARTTLS if parts.query == "starttls" else Security.PLAIN
    else:
        raise BadArguments(
            say(
                "{url} is no IMAP address: use imaps://host:port or imap://host:port", url=repr(url)
            )
        )
    if not parts.hostname:
        raise BadArguments(say("{url} names no host", url=repr(url)))
    try:
        port = parts.port or DEFAULT_PORTS[security]
    except ValueError:
        raise BadArguments(say("{url} has no valid port", url=repr(url))) from None
    return ImapEndpoint(parts.hostname, port, security, ca_file, not insecure)
