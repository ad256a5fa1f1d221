"""Rows turned into the engine's plain inputs. The only place where passwords are revealed."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import NamedTuple

from migrator.account_check import AccountLogin
from migrator.directory import ImportOptions
from migrator.directory_session import DirectoryBind, DirectoryEndpoint, parse_ldap_url
from migrator.endpoints import Credentials, ImapEndpoint, LoginMode, Security
from migrator.fetching import FetchAccount as EngineFetchAccount
from migrator.fetching import Protocol as FetchProtocol
from migrator.fetching import TlsMode
from migrator.options import CopyOptions
from wizard.models import DirectoryServer, ImapServer, MailboxUser


class CopyInputs(NamedTuple):
    source: ImapEndpoint
    target: ImapEndpoint
    source_credentials: Credentials
    target_credentials: Credentials
    options: CopyOptions


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


def copy_inputs(user: MailboxUser) -> CopyInputs:
    """Everything `copy_mailbox` needs for one user. With per-user logins the uploaded password
    serves on both servers (the accounts on the Intra2net server are made with it)."""
    servers = {s.role: s for s in user.migration.imap_servers.all()}
    source, target = servers[ImapServer.Role.SOURCE], servers[ImapServer.Role.TARGET]
    password = user.password.reveal() if user.password else ""
    cap = user.migration.bandwidth_cap_kb
    # What earlier copies copied into, as their folder rows say: a delta before the cutover
    # looks at those whose source folder the user renamed or deleted (migrator.reconcile).
    earlier = user.folder_results.exclude(target_name="").filter(left_out="")
    options = CopyOptions(
        max_message_bytes=user.migration.max_message_mb * 1024 * 1024,
        max_bytes_per_second=cap * 1024 if cap else None,
        earlier_folders=tuple(earlier.values_list("source_name", "target_name")),
    )
    return CopyInputs(
        imap_endpoint(source),
        imap_endpoint(target),
        imap_user_credentials(source, user.source_login or user.sam, password),
        imap_user_credentials(target, user.target_login or user.sam.lower(), password),
        options,
    )


def directory_endpoint(server: DirectoryServer, *, timeout: float = 30.0) -> DirectoryEndpoint:
    """ldaps:// is TLS from the start; ldap:// is StartTLS when asked, else plain."""
    return parse_ldap_url(
        server.url,
        plain=server.url.strip().lower().startswith("ldap://") and not server.starttls,
        ca_file=ca_file_for(server.ca_certificate),
        insecure=not server.verify_tls,
        tls_name=server.tls_name,
        timeout=timeout,
    )


def directory_bind(server: DirectoryServer) -> DirectoryBind:
    return DirectoryBind(
        user=server.bind_user,
        password=server.bind_password.reveal() if server.bind_password else "",
    )


def directory_options(server: DirectoryServer) -> ImportOptions:
    return ImportOptions(base_dn=server.base_dn, user_filter=server.search_filter)


def account_logins(server: ImapServer, users) -> list[AccountLogin]:
    """How to log in on the target for each user (keys are the rows' ids as text)."""
    logins = []
    for user in users:
        password = user.password.reveal() if user.password else ""
        if server.login_mode == ImapServer.LoginMode.USER and not password:
            logins.append(AccountLogin(str(user.pk), None))
            continue
        logins.append(
            AccountLogin(str(user.pk), imap_user_credentials(server, user.target_login, password))
        )
    return logins


# --- shared folders and mail fetching accounts (issue 8) --------------------------------------


class SharedFolderInputs(NamedTuple):
    source: ImapEndpoint
    target: ImapEndpoint
    source_credentials: Credentials
    target_credentials: Credentials


def own_login(server: ImapServer) -> Credentials | None:
    """The administrator logged in as itself (acting for itself where it acts for users):
    public folders are read, and shared folders created and shared, with this login. None
    when no administrator is entered."""
    if not server.admin_user:
        return None
    if server.login_mode == ImapServer.LoginMode.USER:
        password = server.admin_password.reveal() if server.admin_password else ""
        return Credentials(user=server.admin_user, password=password)
    return imap_admin_credentials(server)


def shared_folder_inputs(migration) -> SharedFolderInputs:
    """Both servers with their administrators' own logins; raises ValueError naming what is
    missing."""
    servers = {s.role: s for s in migration.imap_servers.all()}
    if len(servers) < 2:
        raise ValueError("Enter both IMAP servers in step 1 first.")
    source, target = servers[ImapServer.Role.SOURCE], servers[ImapServer.Role.TARGET]
    logins = own_login(source), own_login(target)
    if None in logins:
        raise ValueError(
            "Enter the administrator's login for both IMAP servers in step 1: public folders "
            "are read, and shared folders created, with it."
        )
    return SharedFolderInputs(imap_endpoint(source), imap_endpoint(target), *logins)


def fetch_account(row) -> EngineFetchAccount:
    """A FetchAccount row as the engine's account, with its password."""
    return EngineFetchAccount(
        protocol=FetchProtocol(row.protocol),
        host=row.host,
        port=row.port,
        tls=TlsMode(row.tls),
        login=row.login,
        password=row.password.reveal() if row.password else "",
        target_user=row.target_user,
    )
