"""Exchange's internal addresses in the forms Outlook writes them, and the IMCEAEX encoding.

An internal address names a recipient by an X500 distinguished name: its legacyExchangeDN or
an `X500:` proxy address, such as
`/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jdoe`.
Contacts, meeting organisers and attendees carry it in one of these forms:

- bare: `/o=Corp/.../cn=jdoe`
- with its address type: `EX:/o=Corp/...` or `X500:/o=Corp/...`
- encapsulated as an SMTP address: `IMCEAEX-_o=Corp_ou=..._cn=jdoe@corp.example`
- any of them behind `mailto:` (iCalendar's cal-address; the scheme in any case)

Only a whole value is recognised: a text that merely mentions a DN is left alone.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from enum import StrEnum

from migrator.errors import BadArguments
from migrator.text import say

IMCEAEX_PREFIX = "IMCEAEX-"

# Characters an IMCEAEX local part holds as they are. Everything else is `+XX` per UTF-8
# byte, `/` is `_`; `+` and `_` are themselves encoded, so decoding is unambiguous.
_LITERAL = frozenset(string.ascii_letters + string.digits + "!#$%&'*-=?^`{|}~.")
_HEX = frozenset(string.hexdigits)
_DN = re.compile(r"/o=[^/]", re.IGNORECASE)
# Exchange 2010 and later append `-<hex>` to the last RDN of a recipient whose DN was taken
# (`cn=jdoe-1a2b3c`). Demanding a digit and a letter keeps names like `cn=room-101` or
# `cn=team-cafe` from being taken for such a suffix.
_SUFFIX = re.compile(r"^(?P<stem>.*/cn=[^/]*?[^/-])-(?P<hex>[0-9a-f]{3,32})$", re.IGNORECASE)


class AddressForm(StrEnum):
    DN = "dn"  # bare `/o=...`
    EX = "ex"  # `EX:/o=...`
    X500 = "x500"  # `X500:/o=...`
    IMCEAEX = "imceaex"  # `IMCEAEX-...@domain`


@dataclass(frozen=True)
class InternalAddress:
    """An internal address found in a value: `text` as written (without surrounding blanks),
    `dn` the distinguished name it stands for ('' when an IMCEAEX address holds none), and
    `scheme` the `mailto:` in front of it as written, or ''."""

    text: str
    dn: str
    form: AddressForm
    scheme: str = ""


def parse_internal_address(value: str) -> InternalAddress | None:
    """The internal address that `value` is as a whole, or None when it is something else
    (an SMTP address, a name, free text)."""
    text = value.strip()
    scheme = ""
    rest = text
    if rest[:7].lower() == "mailto:":
        scheme, rest = rest[:7], rest[7:].strip()
    upper = rest.upper()
    if upper.startswith(IMCEAEX_PREFIX):
        try:
            dn = decode_imceaex(rest)
        except ValueError:
            dn = ""
        return InternalAddress(text, dn if is_dn(dn) else "", AddressForm.IMCEAEX, scheme)
    if upper.startswith("EX:") and is_dn(rest[3:]):
        return InternalAddress(text, rest[3:], AddressForm.EX, scheme)
    if upper.startswith("X500:") and is_dn(rest[5:]):
        return InternalAddress(text, rest[5:], AddressForm.X500, scheme)
    if is_dn(rest):
        return InternalAddress(text, rest, AddressForm.DN, scheme)
    return None


def is_dn(text: str) -> bool:
    """Whether `text` is an Exchange X500 DN: it starts with the organisation, `/o=`."""
    return bool(_DN.match(text)) and not any(c in text for c in "\r\n")


def decode_imceaex(address: str) -> str:
    """`IMCEAEX-_O=ORG_OU=SITE+20A_CN=JDOE@corp.example` -> `/O=ORG/OU=SITE A/CN=JDOE`.

    Drops the prefix and the domain, turns `_` into `/` and `+XX` into the byte with hex
    value XX (the bytes are read as UTF-8). Raises ValueError when `address` is no IMCEAEX
    address or holds a `+` that is not followed by two hex digits."""
    if address[: len(IMCEAEX_PREFIX)].upper() != IMCEAEX_PREFIX:
        raise ValueError(
            say(
                "{address} does not start with {prefix}",
                address=repr(address),
                prefix=IMCEAEX_PREFIX,
            )
        )
    local = address[len(IMCEAEX_PREFIX) :]
    at = local.rfind("@")  # the local part holds no "@": it would be "+40"
    if at >= 0:
        local = local[:at]
    decoded = bytearray()
    position = 0
    while position < len(local):
        char = local[position]
        if char == "+":
            pair = local[position + 1 : position + 3]
            if len(pair) != 2 or not set(pair) <= _HEX:
                raise ValueError(
                    say("{address} holds a “+” without two hex digits", address=repr(address))
                )
            decoded.append(int(pair, 16))
            position += 3
            continue
        decoded += b"/" if char == "_" else char.encode("utf-8")
        position += 1
    try:
        return decoded.decode("utf-8")
    except UnicodeDecodeError:
        return decoded.decode("latin-1")


def imceaex_address(dn: str, domain: str) -> str:
    """The IMCEAEX address for `dn` in `domain`: the exact inverse of `decode_imceaex`
    (`decode_imceaex(imceaex_address(dn, d)) == dn`, and an address written with
    upper-case hex and nothing encoded needlessly comes back unchanged).

    `/` becomes `_`; letters, digits and `!#$%&'*-=?^`{|}~.` stay; every other character
    (space, parentheses, `+`, `_`, `@`, non-ASCII) becomes `+XX` per UTF-8 byte."""
    domain = domain.strip()
    if not domain or "@" in domain or any(c.isspace() for c in domain):
        raise BadArguments(
            say("“{domain}” is no mail domain for an IMCEAEX address", domain=domain)
        )
    if not dn:
        raise BadArguments(say("an empty DN has no IMCEAEX address"))
    encoded = []
    for char in dn:
        if char == "/":
            encoded.append("_")
        elif char in _LITERAL:
            encoded.append(char)
        else:
            encoded.extend(f"+{byte:02X}" for byte in char.encode("utf-8"))
    return f"{IMCEAEX_PREFIX}{''.join(encoded)}@{domain}"


def dn_key(dn: str) -> str:
    """What DNs are compared by: Exchange treats them case-insensitively."""
    return dn.strip().casefold()


def dn_stem(dn: str) -> str | None:
    """The key of `dn` without Exchange's `-<hex>` suffix on the last RDN, or None when it
    has no such suffix."""
    match = _SUFFIX.match(dn.strip())
    if match is None:
        return None
    suffix = match["hex"]
    if not (any(c.isdigit() for c in suffix) and any(c.isalpha() for c in suffix)):
        return None
    return dn_key(match["stem"])
