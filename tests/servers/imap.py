"""What every test IMAP server offers (Dovecot and Cyrus alike), and opening a client to one."""

from __future__ import annotations

import socket
import ssl
from typing import Protocol

from imapclient import IMAPClient


class ImapServer(Protocol):
    """The part of DovecotServer and CyrusServer that the mail helpers rely on."""

    host: str
    port: int
    separator: str
    personal_prefix: str

    def connect(self, user: str, password: str | None = None) -> IMAPClient: ...


def open_imap(
    host: str, port: int, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 30
) -> IMAPClient:
    """An IMAPClient (implicit TLS when `ssl_context` is given) with TCP_NODELAY set.

    Without TCP_NODELAY every synchronising literal (each APPEND) costs tens of milliseconds
    on Cyrus because of Nagle's algorithm meeting delayed ACKs.
    """
    client = IMAPClient(
        host, port, ssl=ssl_context is not None, ssl_context=ssl_context, timeout=timeout
    )
    client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client
