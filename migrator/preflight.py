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
from migrator.text import say

EXPIRY_WARNING_DAYS = 21

# What each capability means for the copy, said when it is missing.
CAPABILITY_NOTES = {
    "UIDPLUS": say(
        "Without UIDPLUS the copy cannot learn the new UIDs and verifies by reading back."
    ),
    "MULTIAPPEND": say("Without MULTIAPPEND messages are appended one by one, which is slower."),
    "SPECIAL-USE": say("Without SPECIAL-USE the special folders are found by name only."),
    "QUOTA": say("Without QUOTA the target's free space cannot be checked before copying."),
    "APPENDLIMIT": say("Without APPENDLIMIT the largest message the target takes is unknown."),
    "IDLE": say("Without IDLE nothing is lost, the copy does not need it."),
}
EXCHANGE = say("Exchange")
INTRA2NET = say("Intra2net server")
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
    name = say("{server}: name", server=label)
    try:
        addresses = resolve(host)
    except OSError as e:
        return Check(
            name,
            Status.FAIL,
            say("{host} does not resolve ({reason}).", host=host, reason=e.strerror or e),
        )
    return Check(
        name,
        Status.PASS,
        say("{host} resolves to {addresses}.", host=host, addresses=", ".join(sorted(addresses))),
    )


def check_distinct_addresses(source_host: str, target_host: str) -> Check:
    name = say("Exchange and Intra2net server are different machines")
    try:
        shared = resolve(source_host) & resolve(target_host)
    except OSError:
        return Check(name, Status.WARNING, say("Not checked: a name does not resolve."))
    if shared:
        return Check(
            name,
            Status.FAIL,
            say(
                "Both names resolve to {addresses}: the Intra2net server needs an address of its "
                "own so that both can run side by side during the migration.",
                addresses=", ".join(sorted(shared)),
            ),
        )
    return Check(name, Status.PASS, say("The two servers have different addresses."))


def check_port(label: str, host: str, port: int, timeout: float = 5.0) -> Check:
    name = say("{server}: port {port}", server=label, port=port)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as e:
        return Check(
            name,
            Status.FAIL,
            say(
                "Nothing answers on {host}:{port} ({reason}); check the address and the firewall.",
                host=host,
                port=port,
                reason=e.strerror or e,
            ),
        )
    return Check(name, Status.PASS, say("{host}:{port} accepts connections.", host=host, port=port))


def check_certificate(label: str, endpoint: ImapEndpoint, now: datetime | None = None) -> Check:
    """Name and chain by a verifying handshake, then the days left on the certificate."""
    name = say("{server}: TLS certificate", server=label)
    if endpoint.security == Security.PLAIN:
        return Check(
            name,
            Status.WARNING,
            say("The connection is not encrypted: passwords and mail cross the network in clear."),
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
        return Check(
            name,
            Status.FAIL,
            say(
                "The certificate ({subject}) expired {days} days ago.", subject=subject, days=-days
            ),
        )
    if problem and not endpoint.verify_tls:
        return Check(
            name,
            Status.WARNING,
            say(
                "Verification switched off: {problem} ({subject}, {days} days left).",
                problem=problem,
                subject=subject,
                days=days,
            ),
        )
    if problem:
        return Check(
            name,
            Status.FAIL,
            say(
                "Verification failing: {problem} ({subject}, {days} days left).",
                problem=problem,
                subject=subject,
                days=days,
            ),
        )
    if not endpoint.verify_tls:
        return Check(
            name,
            Status.WARNING,
            say(
                "Verification is switched off ({subject}, {days} days left).",
                subject=subject,
                days=days,
            ),
        )
    if days < EXPIRY_WARNING_DAYS:
        return Check(
            name,
            Status.WARNING,
            say("The certificate ({subject}) expires in {days} days.", subject=subject, days=days),
        )
    return Check(
        name,
        Status.PASS,
        say("Valid for {host} and trusted; {days} days left.", host=endpoint.host, days=days),
    )


def check_imap(
    label: str, endpoint: ImapEndpoint, credentials: Credentials | None, wanted: tuple[str, ...]
) -> Iterator[Check]:
    """The login (when credentials are given) and the capabilities the copy uses."""
    try:
        probe = probe_server(endpoint, credentials)
    except MigratorError as e:
        name = (
            say("{server}: IMAP login", server=label)
            if credentials
            else say("{server}: IMAP", server=label)
        )
        yield Check(name, Status.FAIL, str(e))
        return
    if credentials:
        yield Check(
            say("{server}: IMAP login", server=label),
            Status.PASS,
            say(
                "{user} logs in; folder separator {separator}.",
                user=credentials.user,
                separator=repr(probe.separator),
            ),
        )
    name = say("{server}: IMAP capabilities", server=label)
    offered = {c.split("=")[0] for c in probe.capabilities}
    missing = [c for c in wanted if c not in offered]
    if not missing:
        sentence = (
            say("Offers {capabilities}.", capabilities=", ".join(wanted))
            if wanted
            else say("Nothing special needed.")
        )
        yield Check(name, Status.PASS, sentence)
        return
    notes = [CAPABILITY_NOTES.get(c, say("{name} is missing.", name=c)) for c in missing]
    if not probe.logged_in:
        notes.append(say("(Read before login: servers show some capabilities only after it.)"))
    yield Check(name, Status.WARNING, " ".join(notes))


def check_servers(
    source: ImapEndpoint,
    target: ImapEndpoint,
    source_admin: Credentials | None,
    target_admin: Credentials | None,
) -> list[Check]:
    """Every server check of step 1, in the order an admin would fix them."""
    checks = [check_name(EXCHANGE, source.host), check_name(INTRA2NET, target.host)]
    checks.append(check_distinct_addresses(source.host, target.host))
    for label, endpoint, admin, wanted in (
        (EXCHANGE, source, source_admin, SOURCE_CAPABILITIES),
        (INTRA2NET, target, target_admin, TARGET_CAPABILITIES),
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
        return Check(say("Directory: bind"), Status.FAIL, str(e))
    return Check(say("Directory: bind"), Status.PASS, probe.summary())
