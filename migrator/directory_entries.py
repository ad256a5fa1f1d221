"""What one directory entry means for the migration: its addresses, and whether it is a
person's mailbox at all or a system account to leave out (with the reason said)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from migrator.text import say

RawAttributes = Mapping[str, Sequence[bytes]]

ACCOUNTDISABLE = 0x2

# Accounts that exist in every AD or Exchange organisation and are nobody's mailbox. Matched
# against the account name, the CN and the display name, case-insensitively.
SYSTEM_ACCOUNTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), reason)
    for pattern, reason in (
        (r"krbtgt(_\d+)?", say("Kerberos service account")),
        (r"guest", say("built-in guest account")),
        (r"defaultaccount", say("built-in default account")),
        (r"wdagutilityaccount", say("Windows Defender Application Guard account")),
        (r"healthmailbox.*", say("Exchange health mailbox")),
        (r"systemmailbox\{.*", say("Exchange system mailbox")),
        (r"discoverysearchmailbox.*", say("Exchange discovery search mailbox")),
        (r"federatedemail\..*", say("Exchange federation mailbox")),
        (r"migration\..*", say("Exchange migration mailbox")),
        (r"sm_[0-9a-f]+", say("Exchange system mailbox account")),
        (r"exchange online-applicationaccount", say("Exchange hybrid application account")),
        (r"(msol|aad)_[0-9a-f]+", say("Azure AD Connect synchronisation account")),
        (r"(iusr|iwam)_.*", say("IIS service account")),
        (r"support_388945a0", say("built-in support account")),
        (r".*\$", say("computer or managed service account")),
    )
)

# Groups Windows and Exchange create for themselves; permissions, not people to share with.
SYSTEM_GROUP_NAMES = frozenset({"dnsadmins", "dnsupdateproxy", "wins users", "helpservicesgroup"})
EXCHANGE_GROUP_CONTAINERS = (
    "ou=microsoft exchange security groups,",
    "cn=microsoft exchange system objects,",
)


@dataclass(frozen=True)
class Addresses:
    """A recipient's addresses: the primary SMTP one, the aliases, and the internal Exchange
    addresses (legacyExchangeDN first, then every X500 proxy address)."""

    primary: str | None
    aliases: tuple[str, ...]
    x500: tuple[str, ...]


def text(attributes: RawAttributes, name: str) -> str:
    """The first value of an attribute as text, '' when absent."""
    values = attributes.get(name) or ()
    return values[0].decode("utf-8", "replace").strip() if values else ""


def texts(attributes: RawAttributes, name: str) -> list[str]:
    return [value.decode("utf-8", "replace").strip() for value in attributes.get(name) or ()]


def guid(attributes: RawAttributes) -> str:
    """objectGUID in the form AD's tools show (little-endian fields), lower case."""
    raw = (attributes.get("objectGUID") or [b""])[0]
    return str(uuid.UUID(bytes_le=raw)) if len(raw) == 16 else ""


def addresses(attributes: RawAttributes) -> Addresses:
    """`SMTP:` is the primary address, `smtp:` the aliases, `X500:` internal addresses; `mail`
    stands in for the primary one where proxyAddresses has none (a directory without Exchange)."""
    primary: str | None = None
    aliases: list[str] = []
    x500: list[str] = []
    legacy = text(attributes, "legacyExchangeDN")
    if legacy:
        x500.append(legacy)
    for value in texts(attributes, "proxyAddresses"):
        kind, _, address = value.partition(":")
        if not address:
            continue
        if kind == "SMTP" and primary is None:
            primary = address
        elif kind.lower() == "smtp":
            aliases.append(address)
        elif kind.lower() == "x500":
            x500.append(address)
    primary = primary or text(attributes, "mail") or None
    return Addresses(primary, _unique(aliases, exclude=primary), _unique(x500))


def is_disabled(attributes: RawAttributes) -> bool:
    try:
        return bool(int(text(attributes, "userAccountControl") or 0) & ACCOUNTDISABLE)
    except ValueError:
        return False


def system_account_reason(attributes: RawAttributes, dn: str) -> str | None:
    """Why this user entry is no person's mailbox, or None when it may be one."""
    names = {
        text(attributes, "sAMAccountName"),
        rdn_value(dn),
        text(attributes, "displayName"),
        text(attributes, "userPrincipalName").partition("@")[0],
    }
    for pattern, reason in SYSTEM_ACCOUNTS:
        if any(name and pattern.fullmatch(name) for name in names):
            return reason
    return None


def system_group_reason(attributes: RawAttributes, dn: str) -> str | None:
    """Why this group is left out (Windows' and Exchange's own groups), or None."""
    lowered = dn.lower()
    if any(container in lowered for container in EXCHANGE_GROUP_CONTAINERS):
        return say("Exchange's own group")
    if (
        "cn=builtin," in lowered
        or text(attributes, "isCriticalSystemObject").upper() == "TRUE"
        or text(attributes, "sAMAccountName").lower() in SYSTEM_GROUP_NAMES
    ):
        return say("built-in Windows group")
    return None


def rdn_value(dn: str) -> str:
    """`CN=Smith\\, John,OU=Staff,...` -> `Smith, John`."""
    first = re.split(r"(?<!\\),", dn, maxsplit=1)[0]
    value = first.partition("=")[2]
    return re.sub(r"\\(.)", r"\1", value)


def _unique(values: list[str], exclude: str | None = None) -> tuple[str, ...]:
    seen = {exclude.lower()} if exclude else set()
    result = []
    for value in values:
        if value.lower() not in seen:
            seen.add(value.lower())
            result.append(value)
    return tuple(result)
