"""Dovecot IMAP (and POP3) servers shaped like the migration's two ends.

`start_exchange_like()` looks like Exchange's IMAP (separator `/`, no prefix, "Sent Items",
"Deleted Items", "Junk Email" ...); `start_intra2net_like()` looks like the Intra2net server's
Cyrus (separator `.`, personal folders under `INBOX.`, quota, ACLs, keywords). Both have a
master user (`admin`) that logs in for any user as `user*admin` or with SASL PLAIN and an
authorization identity, which is how an Exchange administrator impersonates a mailbox.

Layout under the caller's directory: `dovecot.conf`, `dovecot.log`, `accounts/` (one JSON
file per user and table, read at every login, so users can change while Dovecot runs),
`master-users`, `tls/`, `run/` (Dovecot's base_dir) and `mail/`. Dovecot refuses to access
mail as root, so mail belongs to the `mail` user and each mail process is chrooted into
`mail/` (homes are `mail/./users/NAME`): that way the caller's directory may sit below
folders (like pytest's) that the mail user cannot traverse.
"""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

from imapclient import IMAPClient, imap_utf7

from tests.servers.imap import open_imap
from tests.servers.ports import free_port
from tests.servers.process import ServerProcess, socket_dir
from tests.servers.tls import make_certificate

HOST = "127.0.0.1"
DEFAULT_QUOTA_KB = 10 * 1024 * 1024  # 10 GiB: generous unless a test asks for less
EXCHANGE_FOLDERS = {
    "Sent Items": "\\Sent",
    "Deleted Items": "\\Trash",
    "Drafts": "\\Drafts",
    "Junk Email": "\\Junk",
    "Archive": "\\Archive",
}
INTRA2NET_FOLDERS = {"Sent": "\\Sent", "Drafts": "\\Drafts", "Trash": "\\Trash", "Spam": "\\Junk"}
PUBLIC_PREFIX = "Public Folders/"


class DovecotServer(ServerProcess):
    """A running Dovecot; users are added with `add_user()`, also while it runs."""

    _stop_grace = 0.0  # Dovecot's shutdown takes a second or more; its Maildirs survive KILL

    def __init__(
        self,
        directory: Path,
        *,
        separator: str,
        personal_prefix: str,
        special_folders: dict[str, str],
        quota_and_acl: bool = False,
        quota_kb: int = DEFAULT_QUOTA_KB,
        tls: bool = False,
        pop3: bool = False,
        public_folders: bool = False,
    ) -> None:
        self.host = HOST
        self.base_dir = Path(directory)
        self.conf_path = self.base_dir / "dovecot.conf"
        self.log_path = self.base_dir / "dovecot.log"
        self.separator = separator
        self.personal_prefix = personal_prefix
        self.admin_user = "admin"
        self.admin_password = "admin-secret"
        self.users: dict[str, str] = {}
        self.mail_root = self.base_dir / "mail"
        self.public_prefix = PUBLIC_PREFIX if public_folders else None
        self.port = free_port(HOST)
        self.imaps_port = free_port(HOST) if tls else None
        self.pop3_port = free_port(HOST) if pop3 else None
        mail = pwd.getpwnam("mail")
        self._uid, self._gid = mail.pw_uid, mail.pw_gid
        self._accounts = self.base_dir / "accounts"

        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.ca_file = make_certificate(self.base_dir / "tls", "localhost", HOST) if tls else None
        run_dir = socket_dir(self.base_dir)
        if run_dir.parent != self.base_dir:
            self._cleanup = (run_dir,)
        for folder in (self.mail_root / "users", self.mail_root / "public"):
            folder.mkdir(parents=True, exist_ok=True)
        self._chown_tree(self.mail_root)
        self.mail_root.chmod(0o700)
        (self.base_dir / "master-users").write_text(
            f"{self.admin_user}:{{PLAIN}}{self.admin_password}\n"
        )
        for table in ("passdb", "userdb"):
            (self._accounts / table).mkdir(parents=True, exist_ok=True)
        (self.base_dir / "accounts.conf.ext").write_text(
            f"uri = fs:posix:prefix={self._accounts}/\n"
            "password_key = passdb/%u\nuser_key = userdb/%u\n"
            "iterate_disable = yes\ndefault_pass_scheme = PLAIN\n"
        )
        self.conf_path.write_text(
            self._config(run_dir, special_folders, quota_and_acl, quota_kb, public_folders)
        )
        self._launch(["dovecot", "-F", "-c", str(self.conf_path)])
        ports = [self.port, self.imaps_port, self.pop3_port]
        self._wait_ready(HOST, [p for p in ports if p], timeout=15)

    # --- users ----------------------------------------------------------------------------

    def add_user(self, name: str, password: str, *, quota_kb: int | None = None) -> None:
        """Add (or replace) a user; `quota_kb` overrides the default quota on the target."""
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"unusable user name: {name!r}")
        home = self.mail_root / "users" / name
        home.mkdir(exist_ok=True)
        os.chown(home, self._uid, self._gid)
        userdb: dict[str, str | int] = {
            "uid": self._uid, "gid": self._gid, "home": f"{self.mail_root}/./users/{name}"
        }
        if quota_kb is not None:
            userdb["quota_rule"] = f"*:storage={quota_kb}K"
        self._write_account("userdb", name, userdb)
        self._write_account("passdb", name, {"password": password})
        self.users[name] = password

    def remove_user(self, name: str) -> None:
        """Remove a user's login; their mail stays on disk."""
        del self.users[name]
        for table in ("passdb", "userdb"):
            (self._accounts / table / name).unlink()

    def connect(self, user: str, password: str | None = None) -> IMAPClient:
        """A logged-in client; with no password, the master admin logs in acting for `user`."""
        client = open_imap(self.host, self.port)
        if password is None:
            client.plain_login(
                self.admin_user, self.admin_password, authorization_identity=user
            )
        else:
            client.login(user, password)
        return client

    # --- storage --------------------------------------------------------------------------

    def maildir(self, user: str) -> Path:
        """The user's ~/Maildir (LAYOUT=fs: INBOX is the root, "A/B" is the folder `A/B`).

        Files written here as root must be handed to the mail user with `fix_ownership()`.
        """
        return self.mail_root / "users" / user / "Maildir"

    def folder_path(self, user: str, folder: str) -> Path:
        """The Maildir folder of a mailbox name as IMAP shows it (with prefix and separator)."""
        if folder == "INBOX":
            return self.maildir(user)
        name = folder.removeprefix(self.personal_prefix)
        parts = [imap_utf7.encode(part).decode() for part in name.split(self.separator)]
        return self.maildir(user).joinpath(*parts)

    def fix_ownership(self, user: str) -> None:
        """Give everything in the user's home to the mail user Dovecot runs mail processes as."""
        self._chown_tree(self.mail_root / "users" / user)

    def add_public_folder(self, name: str) -> str:
        """Create a public folder ("/"-separated `name`); returns its IMAP name."""
        if self.public_prefix is None:
            raise RuntimeError("start the server with public_folders=True")
        folder = self.mail_root / "public" / imap_utf7.encode(name).decode()
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        self._chown_tree(self.mail_root / "public")
        return self.public_prefix + name

    # --- internals ------------------------------------------------------------------------

    def _chown_tree(self, top: Path) -> None:
        os.chown(top, self._uid, self._gid)
        for root, dirs, files in os.walk(top):
            for entry in dirs + files:
                os.chown(os.path.join(root, entry), self._uid, self._gid)

    def _write_account(self, table: str, name: str, fields: dict[str, str | int]) -> None:
        # Dovecot reads these files at every login (a passwd-file is re-read at most once a
        # second), so a user added, changed or removed counts from the next login on.
        temporary = self._accounts / table / f".{name}.new"
        temporary.write_text(json.dumps(fields))
        temporary.replace(self._accounts / table / name)

    def _config(
        self,
        run_dir: Path,
        special_folders: dict[str, str],
        quota_and_acl: bool,
        quota_kb: int,
        public_folders: bool,
    ) -> str:
        mailboxes = "".join(
            f'  mailbox "{name}" {{\n    special_use = {use}\n    auto = subscribe\n  }}\n'
            for name, use in special_folders.items()
        )
        protocols = "imap pop3" if self.pop3_port else "imap"
        if self.ca_file:
            tls = (
                f"ssl = yes\nssl_cert = <{self.ca_file.with_name('cert.pem')}\n"
                f"ssl_key = <{self.ca_file.with_name('key.pem')}\n"
            )
        else:
            tls = "ssl = no\n"
        plugins = ""
        if quota_and_acl:
            plugins = (
                "mail_plugins = $mail_plugins quota acl\n"
                "protocol imap {\n  mail_plugins = $mail_plugins imap_quota imap_acl\n}\n"
                "plugin {\n  quota = count:User quota\n  quota_vsizes = yes\n"
                f"  quota_rule = *:storage={quota_kb}K\n  acl = vfile\n"
                "  # The master user gets the user's rights, not the (empty) rights of \"admin\".\n"
                "  acl_user = %u\n}\n"
            )
        public = ""
        if public_folders:
            public = (
                "namespace public {\n  type = public\n  separator = /\n"
                f'  prefix = "{PUBLIC_PREFIX}"\n'
                "  location = maildir:/public:LAYOUT=fs:INDEX=~/public-index\n"
                "  subscriptions = no\n  list = yes\n}\n"
            )
        return f"""\
# Generated by tests/servers/dovecot.py
base_dir = {run_dir}
state_dir = {self.base_dir / "state"}
instance_name = test-{self.port}
log_path = {self.log_path}
protocols = {protocols}
listen = {HOST}
{tls}disable_plaintext_auth = no
auth_mechanisms = plain login
# Failed logins still answer at the next 0.5 s tick; the growing per-IP penalty is switched
# off below (anvil-auth-penalty with mode 0).
auth_failure_delay = 0
auth_master_user_separator = *
mail_max_userip_connections = 50
default_internal_user = root
first_valid_uid = {self._uid}
valid_chroot_dirs = {self.mail_root}
mail_location = maildir:~/Maildir:LAYOUT=fs
pop3_uidl_format = %08Xu%08Xv
{plugins}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.base_dir / "master-users"}
  master = yes
  pass = yes
}}
passdb {{
  driver = dict
  args = {self.base_dir / "accounts.conf.ext"}
}}
userdb {{
  driver = dict
  args = {self.base_dir / "accounts.conf.ext"}
}}
namespace inbox {{
  inbox = yes
  separator = {self.separator}
  prefix = {self.personal_prefix}
{mailboxes}}}
{public}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = {self.imaps_port or 0}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {self.pop3_port or 0}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""


def start_exchange_like(
    directory: Path | str, *, tls: bool = False, pop3: bool = False, public_folders: bool = False
) -> DovecotServer:
    """A source shaped like Exchange: `/` separator, no prefix, Exchange's special folders.

    `tls` adds a certificate for `localhost` and 127.0.0.1 from a throwaway CA (`ca_file`),
    implicit TLS on `imaps_port` and STARTTLS on `port`; `pop3` serves POP3 on `pop3_port`;
    `public_folders` adds the public namespace "Public Folders/" (see `add_public_folder()`).
    """
    return DovecotServer(
        Path(directory),
        separator="/",
        personal_prefix="",
        special_folders=EXCHANGE_FOLDERS,
        tls=tls,
        pop3=pop3,
        public_folders=public_folders,
    )


def start_intra2net_like(
    directory: Path | str, *, quota_kb: int = DEFAULT_QUOTA_KB
) -> DovecotServer:
    """A target shaped like the Intra2net server's Cyrus: `.` separator, `INBOX.` prefix.

    Sent/Drafts/Trash/Spam exist for every user; QUOTA (default `quota_kb` per user, see
    `add_user(quota_kb=...)`), ACL and keywords are supported.
    """
    return DovecotServer(
        Path(directory),
        separator=".",
        personal_prefix="INBOX.",
        special_folders=INTRA2NET_FOLDERS,
        quota_and_acl=True,
        quota_kb=quota_kb,
    )

