"""Rows turned into the engine's plain inputs. The only place where passwords are revealed."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from migrator.endpoints import Credentials, ImapEndpoint, LoginMode, Security
from wizard.models import ImapServer


def ca_file_for(pem: str) -> str | None:
    """A file holding the PEM text (the engine wants a path), kept by content hash."""
    if not pem.strip():
        return None
    path = Path(tempfile.gettempdir()) / f"migrator-ca-{hashlib.sha256(pem.encode()).hexdigest()}"
    if not path.exists():
        path.write_text(pem)
    return str(path)


def imap_endpoint(server: ImapServer) -> ImapEndpoint:
    return ImapEndpoint(
        host=server.host,
        port=server.port,
        security=Security(server.security),
        ca_file=ca_file_for(server.ca_certificate),
        verify_tls=server.verify_tls,
    )


def imap_admin_credentials(server: ImapServer) -> Credentials | None:
    """The administrator acting for its own mailbox (Exchange wants the admin to have one), or
    None when users log in for themselves."""
    if server.login_mode == ImapServer.LoginMode.USER or not server.admin_user:
        return None
    return imap_user_credentials(server, server.admin_user)


def imap_user_credentials(server: ImapServer, user: str, password: str = "") -> Credentials:
    """How to log in for one mailbox: as the user, or as the admin acting for them."""
    if server.login_mode == ImapServer.LoginMode.USER:
        return Credentials(user=user, password=password)
    return Credentials(
        user=user,
        password=server.admin_password.reveal() if server.admin_password else "",
        mode=LoginMode(server.login_mode),
        admin=server.admin_user,
        master_separator=server.master_separator,
    )
