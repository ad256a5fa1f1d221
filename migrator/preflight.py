"""Preflight checks of the servers before anything is copied: each check says pass, warning or
fail in one sentence an admin can act on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from cryptography import x509

from migrator.directory import probe_directory
from migrator.directory_session import DirectoryBind, DirectoryEndpoint
from migrator.endpoints import Credentials, ImapEndpoint, Security
from migrator.errors import MigratorError
from migrator.probe import probe_server
from migrator.session import connect

EXPIRY_WARNING_DAYS = 21

# What each capability means for the copy, said when it is missing.
CAPABILITY_NOTES = {
    "UIDPLUS": "without UIDPLUS the copy cannot learn the new UIDs and verifies by reading back",
    "MULTIAPPEND": "without MULTIAPPEND messages are appended one by one, which is slower",
    "SPECIAL-USE": "without SPECIAL-USE the special folders are found by name only",
    "QUOTA": "without QUOTA the target's free space cannot be checked before copying",
    "APPENDLIMIT": "without APPENDLIMIT the largest message the target takes is unknown",
    "IDLE": "without IDLE nothing is lost, the copy does not need it",
}
SOURCE_CAPABILITIES = ("IDLE",)
TARGET_CAPABILITIES = ("UIDPLUS", "MULTIAPPEND", "SPECIAL-USE", "QUOTA", "APPENDLIMIT")


class Status(StrEnum):
    PASS = "pass"  # noqa: S105
    WARNING = "warning"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    sentence: str

    def to_json(self) -> dict:
        return {"name": self.name, "status": str(self.status), "sentence": self.sentence}


def resolve(host: str) -> set[str]:
    return {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}


def check_name(label: str, host: str) -> Check:
    try:
        addresses = resolve(host)
    except OSError as e:
        return Check(f"{label}: name", Status.FAIL, f"{host} does not resolve ({e.strerror or e}).")
    return Check(
        f"{label}: name", Status.PASS, f"{host} resolves to {', '.join(sorted(addresses))}."
    )


def check_distinct_addresses(source_host: str, target_host: str) -> Check:
    name = "Exchange and Intra2net server are different machines"
    try:
        shared = resolve(source_host) & resolve(target_host)
    except OSError:
        return Check(name, Status.WARNING, "Not checked: a name does not resolve.")
    if shared:
        return Check(
            name,
            Status.FAIL,
            f"Both names resolve to {', '.join(sorted(shared))}: the Intra2net server needs an "
            "address of its own so that both can run side by side during the migration.",
        )
    return Check(name, Status.PASS, "The two servers have different addresses.")


def check_port(label: str, host: str, port: int, timeout: float = 5.0) -> Check:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as e:
        return Check(
            f"{label}: port {port}",
            Status.FAIL,
            f"Nothing answers on {host}:{port} ({e.strerror or e}); "
            "check the address and the firewall.",
        )
    return Check(f"{label}: port {port}", Status.PASS, f"{host}:{port} accepts connections.")


def check_certificate(label: str, endpoint: ImapEndpoint, now: datetime | None = None) -> Check:
    """Name and chain by a verifying handshake, then the days left on the certificate."""
    name = f"{label}: TLS certificate"
    if endpoint.security == Security.PLAIN:
        return Check(
            name,
            Status.WARNING,
            "The connection is not encrypted: passwords and mail cross the network in clear.",
        )
    problem = ""
    try:
        connect(endpoint).logout()
    except MigratorError as e:
        problem = str(e)
    unverified = ImapEndpoint(
        endpoint.host, endpoint.port, endpoint.security, endpoint.ca_file, False, endpoint.timeout
    )
    try:
        client = connect(unverified)
    except MigratorError as e:
        return Check(name, Status.FAIL, str(e))
    try:
        der = client.socket().getpeercert(binary_form=True)
    finally:
        client.logout()
    certificate = x509.load_der_x509_certificate(der)
    days = (certificate.not_valid_after_utc - (now or datetime.now(UTC))).days
    subject = certificate.subject.rfc4514_string()
    if days < 0:
        return Check(name, Status.FAIL, f"The certificate ({subject}) expired {-days} days ago.")
    if problem:
        verify = "switched off" if not endpoint.verify_tls else "failing"
        status = Status.WARNING if not endpoint.verify_tls else Status.FAIL
        return Check(
            name, status, f"Verification {verify}: {problem} ({subject}, {days} days left)."
        )
    if not endpoint.verify_tls:
        return Check(
            name, Status.WARNING, f"Verification is switched off ({subject}, {days} days left)."
        )
    if days < EXPIRY_WARNING_DAYS:
        return Check(name, Status.WARNING, f"The certificate ({subject}) expires in {days} days.")
    return Check(name, Status.PASS, f"Valid for {endpoint.host} and trusted; {days} days left.")


def check_imap(
    label: str, endpoint: ImapEndpoint, credentials: Credentials | None, wanted: tuple[str, ...]
) -> Iterator[Check]:
    """The login (when credentials are given) and the capabilities the copy uses."""
    try:
        probe = probe_server(endpoint, credentials)
    except MigratorError as e:
        yield Check(
            f"{label}: IMAP login" if credentials else f"{label}: IMAP", Status.FAIL, str(e)
        )
        return
    if credentials:
        yield Check(
            f"{label}: IMAP login",
            Status.PASS,
            f"{credentials.user} logs in; folder separator {probe.separator!r}.",
        )
    offered = {c.split("=")[0] for c in probe.capabilities}
    missing = [c for c in wanted if c not in offered]
    if not missing:
        sentence = f"Offers {', '.join(wanted)}." if wanted else "Nothing special needed."
        yield Check(f"{label}: IMAP capabilities", Status.PASS, sentence)
        return
    notes = [CAPABILITY_NOTES.get(c, f"{c} is missing") for c in missing]
    sentence = "; ".join(notes).capitalize() + "."
    if not probe.logged_in:
        sentence += " (Read before login: servers show some capabilities only after it.)"
    yield Check(f"{label}: IMAP capabilities", Status.WARNING, sentence)


def check_servers(
    source: ImapEndpoint,
    target: ImapEndpoint,
    source_admin: Credentials | None,
    target_admin: Credentials | None,
) -> list[Check]:
    """Every server check of step 1, in the order an admin would fix them."""
    checks = [check_name("Exchange", source.host), check_name("Intra2net server", target.host)]
    checks.append(check_distinct_addresses(source.host, target.host))
    for label, endpoint, admin, wanted in (
        ("Exchange", source, source_admin, SOURCE_CAPABILITIES),
        ("Intra2net server", target, target_admin, TARGET_CAPABILITIES),
    ):
        port = check_port(label, endpoint.host, endpoint.port)
        checks.append(port)
        if port.status == Status.FAIL:
            continue
        checks.append(check_certificate(label, endpoint))
        checks.extend(check_imap(label, endpoint, admin, wanted))
    return checks


def check_directory_bind(endpoint: DirectoryEndpoint, bind: DirectoryBind, base_dn: str) -> Check:
    """The directory: TLS, the bind, and that the base DN exists."""
    try:
        probe = probe_directory(endpoint, bind, base_dn)
    except MigratorError as e:
        return Check("Directory: bind", Status.FAIL, str(e))
    return Check("Directory: bind", Status.PASS, probe.summary())
