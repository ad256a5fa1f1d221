"""Step 19: is the Intra2net server ready to take the organisation's mail? Its SMTP port, and the
domain's MX records as this machine sees them."""

from __future__ import annotations

import contextlib
import smtplib

import dns.exception
import dns.resolver

from migrator.preflight import Check, Status, resolve


def check_smtp(host: str, port: int = 25, timeout: float = 10.0) -> Check:
    name = f"SMTP on {host}:{port}"
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            code, banner = smtp.ehlo()
    except (OSError, smtplib.SMTPException) as e:
        return Check(name, Status.FAIL, f"The Intra2net server's SMTP port does not answer ({e}).")
    if code != 250:
        return Check(name, Status.FAIL, f"The server refused EHLO ({code}).")
    greeting = banner.decode(errors="replace").splitlines()[0]
    return Check(name, Status.PASS, f"Answers: {greeting}.")


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
    name = f"MX of {domain}"
    resolver = _resolver(nameserver, port)
    try:
        answer = resolver.resolve(domain, "MX")
    except dns.exception.DNSException as e:
        return Check(name, Status.WARNING, f"The MX records could not be read ({e}).")
    records = sorted((r.preference, r.exchange.to_text(omit_final_dot=True)) for r in answer)
    listing = ", ".join(f"{host} (preference {preference})" for preference, host in records)
    best = records[0][1]
    try:
        target_addresses = resolve(target_host)
    except OSError:
        target_addresses = set()
    if best.lower() == target_host.lower() or _addresses(resolver, best) & target_addresses:
        return Check(
            name, Status.PASS, f"Mail for {domain} goes to the Intra2net server: {listing}."
        )
    return Check(
        name,
        Status.WARNING,
        f"Mail for {domain} still goes to {best}, not to the Intra2net server ({listing}). "
        "Change the MX record, or the forwarding at the provider (manual, chapter 15).",
    )
