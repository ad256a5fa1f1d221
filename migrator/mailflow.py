"""Step 19: is the Intra2net server ready to take the organisation's mail? Its SMTP port, and the
domain's MX records as this machine sees them."""

from __future__ import annotations

import contextlib
import smtplib

import dns.exception
import dns.resolver

from migrator.preflight import Check, Status, resolve
from migrator.text import say


def check_smtp(host: str, port: int = 25, timeout: float = 10.0) -> Check:
    name = say("SMTP on {host}:{port}", host=host, port=port)
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            code, banner = smtp.ehlo()
    except (OSError, smtplib.SMTPException) as e:
        return Check(
            name,
            Status.FAIL,
            say("The Intra2net server's SMTP port does not answer ({reason}).", reason=e),
        )
    if code != 250:
        return Check(name, Status.FAIL, say("The server refused EHLO ({code}).", code=code))
    greeting = banner.decode(errors="replace").splitlines()[0]
    return Check(name, Status.PASS, say("Answers: {greeting}.", greeting=greeting))


def _resolver(nameserver: str | None, port: int) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=nameserver is None)
    if nameserver:
        resolver.nameservers = [nameserver]
        resolver.port = port
    resolver.lifetime = 10
    return resolver


def _addresses(resolver: dns.resolver.Resolver, host: str) -> set[str]:
    found = set()
    for kind in ("A", "AAAA"):
        with contextlib.suppress(dns.exception.DNSException):
            found |= {record.to_text() for record in resolver.resolve(host, kind)}
    return found


def check_mx(domain: str, target_host: str, nameserver: str | None = None, port: int = 53) -> Check:
    """Whether the domain's preferred MX is the Intra2net server (by name or by address).

    `nameserver` asks that server instead of the system's resolvers."""
    name = say("MX of {domain}", domain=domain)
    resolver = _resolver(nameserver, port)
    try:
        answer = resolver.resolve(domain, "MX")
    except dns.exception.DNSException as e:
        return Check(
            name, Status.WARNING, say("The MX records could not be read ({reason}).", reason=e)
        )
    records = sorted((r.preference, r.exchange.to_text(omit_final_dot=True)) for r in answer)
    # As a zone file writes them ("10 mail.example.com"): no words inside a value.
    listing = ", ".join(f"{preference} {host}" for preference, host in records)
    best = records[0][1]
    try:
        target_addresses = resolve(target_host)
    except OSError:
        target_addresses = set()
    if best.lower() == target_host.lower() or _addresses(resolver, best) & target_addresses:
        return Check(
            name,
            Status.PASS,
            say(
                "Mail for {domain} goes to the Intra2net server (MX records: {records}).",
                domain=domain,
                records=listing,
            ),
        )
    return Check(
        name,
        Status.WARNING,
        say(
            "Mail for {domain} still goes to {host}, not to the Intra2net server "
            "(MX records: {records}). Change the MX record, or the forwarding at the provider "
            "(manual, chapter 15).",
            domain=domain,
            host=best,
            records=listing,
        ),
    )
