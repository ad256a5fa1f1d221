"""The demo's servers on loopback, filled with the organisation of demo/organisation.py.

- Exchange: Dovecot shaped like Exchange's IMAP (tests/servers/dovecot.py) with a public
  namespace; each person logs in with their UPN, the administrator `admin` acts for anyone.
- The directory: Samba as an AD domain controller seeded with the organisation (the harness
  caches a provisioned template per seed, so only the first start builds it).
- The Intra2net server: Dovecot shaped like its Cyrus, with an empty account for each person
  who moves (made from the wizard's CSV export in real life) and for the administrator. It is
  reached through a TCP proxy on an address of its own (INTRA2NET_ADDRESS): the preflight
  checks rightly refuse two servers on one address.
- Its SMTP port: an SMTP server for step 19's mail flow check.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from imapclient import imap_utf7

from demo import organisation
from tests.servers import dovecot, samba
from tests.servers.dovecot import DovecotServer
from tests.servers.mail import Seed, write_maildir
from tests.servers.process import ServerProcess
from tests.servers.proxy import TcpProxy
from tests.servers.samba import SambaDC
from tests.servers.smtp import SmtpServer, start_smtp

UNUSED_PASSWORD = "not-used-the-admin-acts-for-users"  # noqa: S105
INTRA2NET_ADDRESS = "127.0.0.2"
S = TypeVar("S", bound=ServerProcess | TcpProxy)


@dataclass
class Sandbox:
    """The running servers; `describe()` is what the wizard needs to reach them."""

    source: DovecotServer
    target: DovecotServer
    target_proxy: TcpProxy  # where the wizard reaches the target
    directory: SambaDC
    smtp: SmtpServer
    messages: int

    def describe(self) -> dict:
        """Addresses and logins as plain data (JSON), for demo/configure.py and for people."""
        return {
            "source": _imap(self.source, self.source.host, self.source.port),
            "target": _imap(self.target, self.target_proxy.host, self.target_proxy.port),
            "directory": {
                "url": self.directory.ldaps_url,
                "tls_name": self.directory.tls_name,
                "ca_certificate": self.directory.ca_file.read_text(),
                "bind_user": self.directory.admin_bind,
                "bind_password": self.directory.admin_password,
                "base_dn": self.directory.base_dn,
            },
            "smtp": {"host": self.smtp.host, "port": self.smtp.port},
            "messages": self.messages,
        }

    def stop(self) -> None:
        for server in (self.smtp, self.target_proxy, self.target, self.source, self.directory):
            server.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _imap(server: DovecotServer, host: str, port: int) -> dict:
    return {
        "host": host,
        "port": port,
        "admin_user": server.admin_user,
        "admin_password": server.admin_password,
    }


def start_sandbox(directory: Path | str) -> Sandbox:
    """Start and fill every server below `directory`; on failure nothing stays running."""
    directory = Path(directory)
    with contextlib.ExitStack() as started:
        source = _started(
            started,
            lambda: dovecot.start_exchange_like(directory / "exchange", public_folders=True),
        )
        target = _started(started, lambda: dovecot.start_intra2net_like(directory / "intra2net"))
        proxy = _started(started, lambda: TcpProxy(target.host, target.port, INTRA2NET_ADDRESS))
        directory_server = _started(
            started, lambda: samba.start_samba(directory / "samba", seed=organisation.DIRECTORY)
        )
        smtp = _started(started, lambda: start_smtp(directory / "smtp"))
        messages = fill(source, target)
        started.pop_all()  # from here on the Sandbox stops them
    return Sandbox(source, target, proxy, directory_server, smtp, messages)


def _started(stack: contextlib.ExitStack, start: Callable[[], S]) -> S:
    server = start()
    stack.callback(server.stop)
    return server


def fill(source: DovecotServer, target: DovecotServer) -> int:
    """Accounts on both servers, every mailbox and public folder; returns the messages seeded."""
    for server in (source, target):
        server.add_user(server.admin_user, server.admin_password)
    for person in organisation.PEOPLE:
        source.add_user(person.upn, UNUSED_PASSWORD)
        if not person.disabled:
            target.add_user(person.sam, UNUSED_PASSWORD)

    def fill_mailbox(person: organisation.Person) -> int:
        folders = organisation.mailbox(person)
        _open_special_folders(source, person.upn)
        write_maildir(source, person.upn, folders)
        return sum(len(seeds) for seeds in folders.values())

    # Threads: most of the time goes into waiting for IMAP answers.
    with ThreadPoolExecutor(max_workers=8) as pool:
        messages = sum(pool.map(fill_mailbox, organisation.PEOPLE))
    for name in organisation.PUBLIC_FOLDERS:
        seeds = organisation.public_folder(name)
        _write_public_folder(source, name, seeds)
        messages += len(seeds)
    return messages


def _open_special_folders(server: DovecotServer, user: str) -> None:
    """Dovecot creates the special folders ("Sent Items"...) on disk when first opened; the
    Maildir files are written into them."""
    client = server.connect(user)
    try:
        for name in dovecot.EXCHANGE_FOLDERS:
            client.select_folder(name, readonly=True)
    finally:
        client.logout()


def _write_public_folder(server: DovecotServer, name: str, seeds: list[Seed]) -> None:
    """Messages straight into the public namespace's Maildir (as write_maildir does for users)."""
    server.add_public_folder(name)
    folder = server.mail_root / "public" / imap_utf7.encode(name).decode()
    for number, seed in enumerate(seeds):
        stamp = int(seed.internal_date.timestamp()) if seed.internal_date else 0
        path = folder / "cur" / f"{stamp}.M{number}P0.demo,S={len(seed.message)}:2,S"
        path.write_bytes(seed.message)
        os.utime(path, (stamp, stamp))  # the internal date
    server.add_public_folder(name)  # again: hands the new files to the mail user
