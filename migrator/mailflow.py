"""Step 19: is the Intra2net server ready to take the organisation's mail? Its SMTP port, and the
domain's MX records as this machine sees them."""

from __future__ import annotations

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


def mx_hosts(domain: str, nameserver: str | None = None, port: int = 53) -> list[tuple[int, str]]:
    resolver = dns.resolver.Resolver(configure=nameserver is None)
    if nameserver:
        resolver.nameservers = [nameserver]
        resolver.port = port
    answer = resolver.resolve(domain, "MX", lifetime=10)
    return sorted((r.preference, r.exchange.to_text(omit_final_dot=True)) for r in answer)


def check_mx(domain: str, target_host: str, nameserver: str | None = None, port: int = 53) -> Check:
    """Whether the domain's preferred MX is the Intra2net server (by name or address)."""
    name = f"MX of {domain}"
    try:
        records = mx_hosts(domain, nameserver, port)
    except (dns.exception.DNSException, OSError) as e:
        return Check(name, Status.WARNING, f"The MX records could not be read ({e}).")
    listing = ", ".join(f"{host} ({preference})" for preference, host in records)
    best = records[0][1]
    try:
        same = best == target_host or bool(resolve(best) & resolve(target_host))
    except OSError:
        same = False
    if same:
        return Check(
            name, Status.PASS, f"Mail for {domain} goes to the Intra2net server: {listing}."
        )
    return Check(
        name,
        Status.WARNING,
        f"Mail for {domain} still goes to {best}, not to the Intra2net server: {listing}. "
        "Change the MX record or the forwarding at the provider (manual, chapter 15).",
    )
