"""A real Cyrus IMAP 3.6, the Intra2net server's own IMAP server, for tests.

Debian's `cyrus-imapd` package conflicts with `dovecot-imapd`, so its `imapd` is unpacked
(never installed) into CYRUS_ROOT by `scripts/install-test-debs.sh`, or by `start_cyrus()` if
that folder is missing; Cyrus' `master` and tools come from the installed `cyrus-common`.

Authentication is `sasl_pwcheck_method: alwaystrue`: every password is accepted, for every
user name, and a user's INBOX is created at their first login. `add_user()` therefore only
creates the mailbox (as the admin) and remembers the password for `connect()`. The admin
(`cyrus`, listed in `admins:`) acts for a user with SASL PLAIN and an authorization identity
(`plain_login("cyrus", pw, authorization_identity=user)`): admins may do that without a
`proxyservers:` entry. Dovecot's `user*admin` login form does not exist in Cyrus.

Cyrus logs through syslog, which does not exist here: `log_path` only has master's output.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import tempfile
from pathlib import Path

from imapclient import IMAPClient

from tests.servers.imap import open_imap
from tests.servers.ports import ServerStartError, free_port
from tests.servers.process import ServerProcess

HOST = "127.0.0.1"
CYRUS_ROOT = Path("/var/cache/exchange-migrator/cyrus")
CYRUS_BIN = Path("/usr/lib/cyrus/bin")  # master, ctl_cyrusdb (package cyrus-common)
IMAPD = CYRUS_ROOT / "usr/lib/cyrus/bin/imapd"


class CyrusServer(ServerProcess):
    """A running Cyrus master with one imapd service on a free port."""

    separator = "."
    personal_prefix = "INBOX."
    admin_user = "cyrus"
    admin_password = "any-password-works"

    def __init__(self, directory: Path) -> None:
        self.host = HOST
        self.port = free_port(HOST)
        self.base_dir = directory
        self.conf_path = directory / "imapd.conf"
        self.log_path = directory / "master.log"
        self.users: dict[str, str] = {}
        master = CYRUS_BIN / "master"
        if not master.exists():
            raise ServerStartError(f"{master} missing: run scripts/install-test-debs.sh")
        imapd = ensure_imapd()

        for sub in ("config/socket", "partition", "proc", "lock"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(
            f"configdirectory: {directory}/config\n"
            f"partition-default: {directory}/partition\n"
            "defaultpartition: default\n"
            f"proc_path: {directory}/proc\n"
            f"mboxname_lockpath: {directory}/lock\n"
            f"lmtpsocket: {directory}/config/socket/lmtp\n"
            f"idlesocket: {directory}/config/socket/idle\n"
            f"notifysocket: {directory}/config/socket/notify\n"
            f"syslog_prefix: cyrus-test-{self.port}\n"
            "altnamespace: no\nunixhierarchysep: no\nvirtdomains: off\nhashimapspool: false\n"
            "allowplaintext: yes\nsasl_mech_list: PLAIN LOGIN\n"
            "sasl_pwcheck_method: alwaystrue\n"
            f"admins: {self.admin_user}\nautocreate_quota: 0\numask: 077\n"
        )
        cyrus_conf = directory / "cyrus.conf"
        cyrus_conf.write_text(
            "START {\n"
            f'  recover cmd="{CYRUS_BIN}/ctl_cyrusdb -C {self.conf_path} -r"\n'
            "}\nSERVICES {\n"
            f'  imap cmd="{imapd} -C {self.conf_path} -U 30" listen="{HOST}:{self.port}"'
            " prefork=0 maxchild=100\n"
            "}\nEVENTS {\n}\n"
        )
        cyrus = pwd.getpwnam("cyrus")
        for root, dirs, files in os.walk(directory):
            for entry in [root, *(os.path.join(root, name) for name in dirs + files)]:
                os.chown(entry, cyrus.pw_uid, cyrus.pw_gid)
        probe = subprocess.run(["test", "-w", str(directory / "config")], user="cyrus")
        if probe.returncode != 0:
            raise ServerStartError(
                f"user cyrus cannot write to {directory}: give start_cyrus() a directory whose "
                "parents it can enter, e.g. one made by tempfile.mkdtemp() in /tmp"
            )
        self._launch(
            [str(master), "-C", str(self.conf_path), "-M", str(cyrus_conf),
             "-p", str(directory / "master.pid"), "-D"],
            cwd=directory,
            user="cyrus",
            group="mail",
        )
        self._wait_ready(HOST, [self.port], timeout=15)

    def add_user(self, name: str, password: str) -> None:
        """Create the user's mailbox (`user.NAME`); any password logs in (alwaystrue)."""
        admin = self.connect_admin()
        try:
            mailbox = f"user.{name}"
            if not admin.folder_exists(mailbox):
                admin.create_folder(mailbox)
        finally:
            admin.logout()
        self.users[name] = password

    def connect(self, user: str, password: str | None = None) -> IMAPClient:
        """A logged-in client; with no password, the admin logs in acting for `user`."""
        client = open_imap(self.host, self.port)
        if password is None:
            client.plain_login(self.admin_user, self.admin_password, authorization_identity=user)
        else:
            client.login(user, password)
        return client

    def connect_admin(self) -> IMAPClient:
        """The admin's own session: sees every mailbox as `user.NAME...`."""
        client = open_imap(self.host, self.port)
        client.login(self.admin_user, self.admin_password)
        return client


def ensure_imapd() -> Path:
    """Cyrus' imapd, unpacked from the cyrus-imapd package matching cyrus-common if missing."""
    if IMAPD.exists():
        return IMAPD
    version = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "cyrus-common"],
        capture_output=True, text=True, check=True,
    ).stdout
    CYRUS_ROOT.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CYRUS_ROOT.parent) as work:
        subprocess.run(
            ["apt-get", "download", "-o", "APT::Sandbox::User=root", f"cyrus-imapd={version}"],
            cwd=work, capture_output=True, check=True,
        )
        package = next(Path(work).glob("cyrus-imapd_*.deb"))
        unpacked = Path(work) / "root"
        subprocess.run(["dpkg-deb", "-x", str(package), str(unpacked)], check=True)
        unpacked.chmod(0o755)
        try:
            unpacked.rename(CYRUS_ROOT)
        except OSError:
            if not IMAPD.exists():  # not simply another process that was faster
                raise
    return IMAPD


def start_cyrus(directory: Path | str) -> CyrusServer:
    """Start Cyrus in `directory` (chowned to user cyrus, who must be able to reach it)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return CyrusServer(directory)

