"""Samba as an Active Directory domain controller (LDAP only), seeded with a test directory.

Provisioning and seeding take several seconds, so a provisioned and seeded directory is kept
as a template in CACHE_ROOT/samba-<hash>, the hash covering the seed entries, this file and
Samba's version: changing any of them builds a new template. The build happens in a temporary
folder renamed into place, under a file lock, so parallel test runs build it once and never
see half a template. Each start copies the template into the caller's directory, writes an
smb.conf for a fresh loopback address (Samba's LDAP ports 389/636 are fixed) and starts Samba.

The LDAPS certificate (made at build time by tests/servers/tls.py, since the one Samba would
generate fails Python 3.13's strict checks) is issued for the name `dc1.corp.example.test`,
not for an address, so it stays valid wherever the copy listens: verify it with the CA in
`ca_file` and `valid_names=[tls_name]`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import ldap3

from tests.servers import directory_seed, tls
from tests.servers.directory_seed import Entry
from tests.servers.ports import ServerStartError, random_loopback_address
from tests.servers.process import ServerProcess, socket_dir

CACHE_ROOT = Path(
    os.environ.get("EXCHANGE_MIGRATOR_TEST_CACHE", "/var/tmp/exchange-migrator-test-cache")
)
TLS_NAME = "dc1.corp.example.test"
# Left out of copies: LMDB lock files (recreated), the build's smb.conf, log and sockets.
_COPY_IGNORE = shutil.ignore_patterns("*.ldb-lock", "etc", "run", "*.log", "ldapi")


class SambaDC(ServerProcess):
    """A running Samba AD DC listening on its own loopback address."""

    realm = directory_seed.REALM
    domain = directory_seed.DOMAIN
    base_dn = directory_seed.BASE_DN
    tls_name = TLS_NAME
    admin_bind = f"Administrator@{directory_seed.DNS_DOMAIN}"
    admin_password = directory_seed.ADMIN_PASSWORD

    def __init__(self, directory: Path, *, template: Path | None = None) -> None:
        """Start Samba on a copy of `template`, or on `directory` as it is (cache builds)."""
        self.base_dir = directory
        if template is not None:
            shutil.copytree(template, directory, ignore=_COPY_IGNORE, dirs_exist_ok=True)
        self.host = random_loopback_address()
        self.ldap_url = f"ldap://{self.host}:389"
        self.ldaps_url = f"ldaps://{self.host}:636"
        self.ca_file = directory / "private" / "tls" / "ca.pem"
        self.log_path = directory / "samba.log"
        run_dir = socket_dir(directory)
        if run_dir.parent != directory:
            self._cleanup = (run_dir,)
        conf = _write_smb_conf(directory, self.host, run_dir)
        self._launch(["samba", "-s", str(conf), "-i", "--debug-stdout", "-d1"])
        self._wait_ready(self.host, [389, 636], timeout=60)

    def connect(
        self, user: str | None = None, password: str | None = None
    ) -> ldap3.Connection:
        """A bound LDAPS connection with the certificate verified (default: as Administrator)."""
        verified = ldap3.Tls(
            validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_file), valid_names=[TLS_NAME]
        )
        server = ldap3.Server(self.host, port=636, use_ssl=True, tls=verified, connect_timeout=10)
        return ldap3.Connection(
            server, user or self.admin_bind, password or self.admin_password,
            auto_bind=True, receive_timeout=60,
        )


def _write_smb_conf(directory: Path, host: str, run_dir: Path) -> Path:
    path = directory / "etc" / "smb.conf"
    path.parent.mkdir(exist_ok=True)
    # "HOST/8": Samba only binds an address given alone if an interface carries it exactly.
    path.write_text(f"""\
[global]
	netbios name = DC1
	realm = {directory_seed.REALM}
	workgroup = {directory_seed.DOMAIN}
	server role = active directory domain controller
	server services = ldap
	interfaces = {host}/8
	bind interfaces only = yes
	private dir = {directory}/private
	state directory = {directory}/state
	cache directory = {directory}/cache
	binddns dir = {directory}/bind-dns
	lock directory = {run_dir}
	pid directory = {run_dir}
	ncalrpc dir = {run_dir}/ncalrpc
	winbindd socket directory = {run_dir}/winbindd
	ldap server require strong auth = no
	ldb:nosync = true
""")
    return path


def _cache_key(seed: Sequence[Entry]) -> str:
    version = subprocess.run(["samba", "-V"], capture_output=True, text=True, check=True).stdout
    digest = hashlib.sha256(version.encode())
    for module in (__file__, tls.__file__):  # how templates are built
        digest.update(Path(module).read_bytes())
    digest.update(json.dumps([e.__dict__ for e in seed], sort_keys=True).encode())
    return digest.hexdigest()[:16]


def template_for(seed: Sequence[Entry] = directory_seed.ENTRIES) -> Path:
    """The cached, provisioned and seeded Samba directory for `seed`, built if missing."""
    final = CACHE_ROOT / f"samba-{_cache_key(seed)}"
    if final.exists():
        return final
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with open(CACHE_ROOT / "samba.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not final.exists():
            work = Path(tempfile.mkdtemp(prefix=".build-", dir=CACHE_ROOT))
            try:
                _build(work / "dc", seed)
                (work / "dc").rename(final)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return final


def _build(directory: Path, seed: Sequence[Entry]) -> None:
    provision = subprocess.run(
        [
            "samba-tool", "domain", "provision", f"--targetdir={directory}",
            f"--realm={directory_seed.REALM}", f"--domain={directory_seed.DOMAIN}",
            "--server-role=dc", "--dns-backend=SAMBA_INTERNAL", "--backend-store=mdb",
            f"--adminpass={directory_seed.ADMIN_PASSWORD}", "--host-name=dc1",
            "--host-ip=127.0.0.1", "--option=interfaces=127.0.0.1",
            "--option=bind interfaces only=yes",
        ],
        capture_output=True,
        text=True,
    )
    if provision.returncode != 0:
        raise ServerStartError(f"samba-tool domain provision failed:\n{provision.stdout}"
                               f"{provision.stderr}")
    # Samba would generate a certificate that Python 3.13's strict checks refuse; use ours.
    tls.make_certificate(directory / "private" / "tls", TLS_NAME)
    with SambaDC(directory) as server:
        connection = server.connect()
        for entry in seed:
            attributes: dict[str, object] = dict(entry.attributes)
            if entry.password:
                attributes["unicodePwd"] = f'"{entry.password}"'.encode("utf-16-le")
            if not connection.add(entry.dn, entry.object_class, attributes):
                raise ServerStartError(f"seeding {entry.dn} failed: {connection.result}")
        connection.unbind()


def start_samba(
    directory: Path | str, seed: Sequence[Entry] = directory_seed.ENTRIES
) -> SambaDC:
    """Start a seeded Samba AD DC with its files in `directory` (see directory_seed.py)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return SambaDC(directory, template=template_for(seed))
