"""Opening a bound connection to Active Directory: LDAPS, StartTLS or (when asked) plain LDAP,
the certificate checked against the server's name, and the three ways of naming who binds.

Bind names: a UPN (`admin@corp.example`), a down-level name (`CORP\\admin`) or a DN
(`CN=Admin,CN=Users,DC=corp,DC=example`) are all sent as a simple bind, which Active Directory
and Samba accept in each of these forms. ldap3's NTLM bind is not used: Samba drops it, and a
simple bind inside TLS protects the password as well. A bare name (`admin`) is completed to
`admin@<DNS domain of the base DN>`, the implicit UPN every AD account has.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from ldap3 import NONE, SIMPLE, Connection, Server, Tls
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.dn import parse_dn

from migrator.errors import BadArguments, LoginRefused, ServerUnreachable, TlsFailed
from migrator.text import say


class LdapSecurity(StrEnum):
    LDAPS = "ldaps"
    STARTTLS = "starttls"
    PLAIN = "plain"


DEFAULT_PORTS = {LdapSecurity.LDAPS: 636, LdapSecurity.STARTTLS: 389, LdapSecurity.PLAIN: 389}

# What AD's "data NNN" in a refused bind means (the sub-code of invalidCredentials).
BIND_REFUSALS = {
    "52e": say("wrong name or password"),
    "525": say("no such account"),
    "530": say("the account may not log in at this time"),
    "531": say("the account may not log in from this workstation"),
    "532": say("the account's password has expired"),
    "533": say("the account is disabled"),
    "701": say("the account has expired"),
    "773": say("the account must change its password first"),
    "775": say("the account is locked out"),
}


@dataclass(frozen=True)
class DirectoryEndpoint:
    """Where the directory server is. `tls_name` is the name its certificate is checked
    against when the address used to reach it is another one (an IP address, an alias)."""

    host: str
    port: int
    security: LdapSecurity = LdapSecurity.LDAPS
    ca_file: str | None = None
    verify_tls: bool = True
    tls_name: str | None = None
    timeout: float = 30.0

    def __str__(self) -> str:
        scheme = "ldaps" if self.security == LdapSecurity.LDAPS else "ldap"
        return f"{scheme}://{self.host}:{self.port}"


@dataclass(frozen=True)
class DirectoryBind:
    """Who binds; the password is left out of repr()."""

    user: str
    password: str = field(repr=False)


def parse_ldap_url(
    url: str,
    *,
    plain: bool = False,
    ca_file: str | None = None,
    insecure: bool = False,
    tls_name: str | None = None,
    timeout: float = 30.0,
) -> DirectoryEndpoint:
    """`ldaps://host[:636]` (TLS from the start) or `ldap://host[:389]`, which uses StartTLS
    unless `plain` asks for an unencrypted connection."""
    parts = urlsplit(url.strip())
    if parts.scheme == "ldaps":
        if plain:
            raise BadArguments(
                say("an ldaps:// address is always encrypted; use ldap:// for plain")
            )
        security = LdapSecurity.LDAPS
    elif parts.scheme == "ldap":
        security = LdapSecurity.PLAIN if plain else LdapSecurity.STARTTLS
    else:
        raise BadArguments(
            say("{url} is no LDAP address: use ldaps://host:636 or ldap://host:389", url=repr(url))
        )
    if not parts.hostname:
        raise BadArguments(say("{url} names no host", url=repr(url)))
    if parts.path not in ("", "/"):
        raise BadArguments(
            say("{url}: give the base DN separately, not in the address", url=repr(url))
        )
    try:
        port = parts.port or DEFAULT_PORTS[security]
    except ValueError:
        raise BadArguments(say("{url} has no valid port", url=repr(url))) from None
    return DirectoryEndpoint(
        parts.hostname, port, security, ca_file or None, not insecure, tls_name or None, timeout
    )


def dns_domain(base_dn: str) -> str:
    """`DC=corp,DC=example,DC=test` -> `corp.example.test` (the DC parts, in order)."""
    try:
        parts = parse_dn(base_dn)
    except ldap_errors.LDAPInvalidDnError:
        return ""
    return ".".join(value for attribute, value, _sep in parts if attribute.lower() == "dc")


def is_valid_dn(text: str) -> bool:
    try:
        return bool(parse_dn(text))
    except ldap_errors.LDAPInvalidDnError:
        return False


def bind_name(user: str, base_dn: str = "") -> str:
    """The name sent in the simple bind: UPN, DOMAIN\\user and DN as given; a bare account
    name completed to its implicit UPN with the base DN's DNS domain."""
    user = user.strip()
    if not user:
        raise BadArguments(say("no bind user given"))
    if "@" in user or "\\" in user or "=" in user:
        return user
    domain = dns_domain(base_dn)
    return f"{user}@{domain}" if domain else user


def open_directory(
    endpoint: DirectoryEndpoint, bind: DirectoryBind, base_dn: str = ""
) -> Connection:
    """A bound, read-only connection; raises a MigratorError saying what to change."""
    if not bind.password:
        raise BadArguments(say("no bind password given (an empty one would be an anonymous bind)"))
    name = bind_name(bind.user, base_dn)
    server = Server(
        endpoint.host,
        port=endpoint.port,
        use_ssl=endpoint.security == LdapSecurity.LDAPS,
        tls=_tls(endpoint) if endpoint.security != LdapSecurity.PLAIN else None,
        connect_timeout=min(endpoint.timeout, 10.0),
        get_info=NONE,
    )
    connection = Connection(
        server,
        user=name,
        password=bind.password,
        authentication=SIMPLE,
        read_only=True,
        auto_range=True,  # AD hands out big groups' members 1,500 at a time
        # AD answers a search from the domain's root with referrals to its DNS and
        # configuration partitions; following them would mean connecting elsewhere.
        auto_referrals=False,
        receive_timeout=max(1, int(endpoint.timeout)),  # ldap3 packs it as an integer
        raise_exceptions=False,
        return_empty_attributes=False,
    )
    try:
        connection.open()
        if endpoint.security == LdapSecurity.STARTTLS and not connection.start_tls():
            raise TlsFailed(
                say(
                    "{endpoint} refused StartTLS; use ldaps:// or check the server",
                    endpoint=endpoint,
                )
            )
        bound = connection.bind()
    except TlsFailed:
        close_quietly(connection)
        raise
    except (ldap_errors.LDAPStartTLSError, ldap_errors.LDAPCertificateError) as e:
        close_quietly(connection)
        raise _tls_failure(endpoint, e) from None
    except ldap_errors.LDAPSocketOpenError as e:
        close_quietly(connection)
        if _looks_like_tls(e):
            raise _tls_failure(endpoint, e) from None
        raise ServerUnreachable(
            say(
                "cannot reach the directory server {endpoint}: {reason}",
                endpoint=endpoint,
                reason=_socket_reason(e),
            )
        ) from None
    except (ldap_errors.LDAPException, OSError) as e:
        close_quietly(connection)
        raise ServerUnreachable(
            say(
                "the directory server {endpoint} dropped the connection: {reason}",
                endpoint=endpoint,
                reason=_socket_reason(e),
            )
        ) from None
    if not bound:
        result = connection.result or {}
        close_quietly(connection)
        raise _bind_refusal(endpoint, name, result)
    return connection


def close_quietly(connection: Connection) -> None:
    """Unbind, ignoring a connection that is already gone."""
    with contextlib.suppress(ldap_errors.LDAPException, OSError):
        connection.unbind()


def _tls(endpoint: DirectoryEndpoint) -> Tls:
    try:
        if not endpoint.verify_tls:
            return Tls(validate=ssl.CERT_NONE, sni=endpoint.tls_name)
        return Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=endpoint.ca_file,
            valid_names=[endpoint.tls_name] if endpoint.tls_name else None,
            sni=endpoint.tls_name,
        )
    except ldap_errors.LDAPSSLConfigurationError:
        raise BadArguments(
            say("the CA file {path} does not exist", path=endpoint.ca_file)
        ) from None


def _looks_like_tls(error: Exception) -> bool:
    text = str(error).lower()
    return any(word in text for word in ("ssl", "certificate", "tls", "handshake"))


def _tls_failure(endpoint: DirectoryEndpoint, error: Exception) -> TlsFailed:
    text = str(error)
    if "doesn't match any name" in text or "hostname" in text.lower():
        names = endpoint.tls_name or endpoint.host
        return TlsFailed(
            say(
                "the certificate of {endpoint} is not issued for {names}; connect by the name "
                "on the certificate, or give that name as the TLS name",
                endpoint=endpoint,
                names=names,
            )
        )
    if "certificate verify failed" in text.lower() or "certificate" in text.lower():
        return TlsFailed(
            say(
                "the certificate of {endpoint} cannot be verified; give the CA file, or switch "
                "verification off if it is self-signed and you trust the network",
                endpoint=endpoint,
            )
        )
    return TlsFailed(
        say("TLS with {endpoint} failed: {reason}", endpoint=endpoint, reason=_socket_reason(error))
    )


def _bind_refusal(endpoint: DirectoryEndpoint, name: str, result: dict) -> Exception:
    description = result.get("description") or ""
    message = str(result.get("message") or "")
    if description in ("strongerAuthRequired", "confidentialityRequired"):
        return LoginRefused(
            say(
                "the directory {endpoint} demands an encrypted connection for binding: use "
                "ldaps:// or StartTLS",
                endpoint=endpoint,
            )
        )
    if description == "invalidCredentials":
        code = message.split("data ", 1)[1][:3].lower() if "data " in message else "52e"
        reason = BIND_REFUSALS.get(code, BIND_REFUSALS["52e"])
    else:  # LDAP's own name for the result ("unwillingToPerform"), kept as it is
        reason = description or say("no reason given")
    return LoginRefused(
        say(
            "the directory {endpoint} refused the bind as {name}: {reason}",
            endpoint=endpoint,
            name=name,
            reason=reason,
        )
    )


def _socket_reason(error: Exception) -> str:
    text = str(error)
    if isinstance(error, socket.timeout) or "timed out" in text:
        return say("no answer (timed out)")
    if "invalid server address" in text:
        return say("the name does not resolve")
    # ldap3 wraps the cause: "socket connection error while opening: [Errno 111] Connection refused"
    match = re.search(r"\[Errno -?\d+\]\s*([^'\])]+)", text)
    if match:
        return match.group(1).strip()
    return text.strip(" []()'\"") or type(error).__name__
