"""Opening a logged-in IMAP session: TLS as asked, TCP_NODELAY, and the three login forms."""

from __future__ import annotations

import socket
import ssl

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from migrator.endpoints import Credentials, ImapEndpoint, LoginMode, Security
from migrator.errors import LoginRefused, ServerUnreachable, TlsFailed
from migrator.text import say

# Exchange's answer when the login was accepted but the mailbox can't be reached.
NOT_CONNECTED = "authenticated but not connected"


def tls_context(endpoint: ImapEndpoint) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=endpoint.ca_file)
    if not endpoint.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connect(endpoint: ImapEndpoint) -> imapclient.IMAPClient:
    """A connected, not yet logged-in client."""
    try:
        client = imapclient.IMAPClient(
            endpoint.host,
            port=endpoint.port,
            ssl=endpoint.security == Security.IMAPS,
            ssl_context=tls_context(endpoint) if endpoint.security != Security.PLAIN else None,
            timeout=endpoint.timeout,
        )
        if endpoint.security == Security.STARTTLS:
            client.starttls(tls_context(endpoint))
    except ssl.SSLError as e:
        raise TlsFailed(
            say(
                "TLS with {server} failed ({reason}); give the CA file, or switch verification "
                "off if the certificate is self-signed",
                server=str(endpoint),
                reason=e.reason or e,
            )
        ) from None
    except (OSError, IMAPClientError) as e:
        raise ServerUnreachable(
            say(
                "cannot reach the IMAP server {server}: {reason}",
                server=str(endpoint),
                reason=_reason(e),
            )
        ) from None
    # Without it each synchronizing literal waits for a delayed ACK (~40 ms a message).
    client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client


def login(client: imapclient.IMAPClient, credentials: Credentials) -> None:
    try:
        if credentials.mode == LoginMode.ADMIN_PLAIN:
            client.plain_login(
                credentials.admin, credentials.password, authorization_identity=credentials.user
            )
        elif credentials.mode == LoginMode.ADMIN_MASTER:
            client.login(
                f"{credentials.user}{credentials.master_separator}{credentials.admin}",
                credentials.password,
            )
        else:
            client.login(credentials.user, credentials.password)
    except LoginError as e:
        raise LoginRefused(_refused(credentials, e)) from None
    except (OSError, IMAPClientError) as e:
        if NOT_CONNECTED in str(e).lower():
            raise LoginRefused(_refused(credentials, e)) from None
        raise ServerUnreachable(_lost(credentials, e)) from None


def _refused(credentials: Credentials, error: Exception) -> str:
    values = {"admin": credentials.admin, "user": credentials.user, "reason": _reason(error)}
    if credentials.mode == LoginMode.USER:
        return say("login as {user} refused: {reason}", **values)
    return say("login as {admin} acting for {user} refused: {reason}", **values)


def _lost(credentials: Credentials, error: Exception) -> str:
    values = {"admin": credentials.admin, "user": credentials.user, "reason": _reason(error)}
    if credentials.mode == LoginMode.USER:
        return say("connection lost while logging in as {user}: {reason}", **values)
    return say("connection lost while logging in as {admin} acting for {user}: {reason}", **values)


def open_session(endpoint: ImapEndpoint, credentials: Credentials) -> imapclient.IMAPClient:
    client = connect(endpoint)
    try:
        login(client, credentials)
    except Exception:
        client.shutdown()
        raise
    return client


def _reason(error: Exception) -> str:
    text = str(error)
    if isinstance(error, bytes):
        text = error.decode(errors="replace")
    text = text.strip().strip("b'\"")
    return text or type(error).__name__
