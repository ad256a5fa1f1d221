"""The map from Exchange's internal addresses to SMTP addresses, read from the directory.

Every user, group and contact of the directory import (the JSON `importdirectory --json`
prints: `users[].primary`, `groups[].mail`, `contacts[].mail`, each with `x500`, which holds
legacyExchangeDN and the `X500:` proxy addresses) contributes one entry per DN. DNs are
matched case-insensitively.

When no DN matches exactly, Exchange's suffix is considered: Exchange 2010 and later give a
recipient whose DN was taken a last RDN with `-<hex>` appended (`cn=jdoe-1a2b3c`), and a
mailbox that was re-created gets a new one, so a file may hold `cn=jdoe` where the directory
now has `cn=jdoe-1a2b3c`, or the other way round. Such a DN is resolved only when, without
the suffix, it matches DNs of exactly one recipient (every matching DN leads to the same
address) and the rest of the path is identical; the result says `how="suffix"` so the
report can list it for a check. Anything else (nothing matches, several recipients match,
the recipient has no SMTP address) stays unresolved: a wrong address is worse than none.
Callers that want no such match at all pass `allow_suffix=False`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrator.errors import BadArguments
from migrator.exchange_addresses import dn_key, dn_stem, imceaex_address
from migrator.text import say


@dataclass(frozen=True)
class MapEntry:
    """One internal address of a recipient; `address` is '' when it has no SMTP address."""

    dn: str
    address: str
    kind: str  # user, group or contact
    name: str  # the account name, the group's or the contact's name


@dataclass(frozen=True)
class Resolution:
    """What one DN resolved to: `address` None with a `reason` when it did not."""

    dn: str
    address: str | None
    how: str = ""  # "exact" or "suffix" when resolved
    reason: str = ""
    matched_dn: str = ""  # the directory's DN, for a suffix match


class AddressMap:
    """Every internal address of the directory and what it resolves to."""

    def __init__(self, entries: Iterable[MapEntry]) -> None:
        self.entries: tuple[MapEntry, ...] = tuple(entries)
        self._exact: dict[str, list[MapEntry]] = {}
        self._stems: dict[str, list[MapEntry]] = {}
        for entry in self.entries:
            key = dn_key(entry.dn)
            self._exact.setdefault(key, []).append(entry)
            self._stems.setdefault(dn_stem(entry.dn) or key, []).append(entry)

    def __len__(self) -> int:
        """The number of distinct DNs."""
        return len(self._exact)

    @property
    def conflicts(self) -> dict[str, tuple[str, ...]]:
        """DNs that belong to recipients with different addresses (they never resolve)."""
        return {
            entries[0].dn: addresses
            for entries in self._exact.values()
            if len(addresses := _addresses(entries)) > 1
        }

    def resolve(self, dn: str, *, allow_suffix: bool = True) -> Resolution:
        """The SMTP address for `dn`: an exact (case-insensitive) match, else, with
        `allow_suffix`, a match that ignores Exchange's `-<hex>` suffix on either side."""
        key = dn_key(dn)
        exact = self._exact.get(key)
        if exact:
            return _pick(dn, exact, "exact")
        if allow_suffix:
            candidates = self._stems.get(dn_stem(dn) or key, [])
            if candidates:
                return _pick(dn, candidates, "suffix")
        return Resolution(
            dn,
            None,
            reason=say(
                "not in the directory: the recipient may have been deleted, or the directory "
                "import does not cover it"
            ),
        )


def _by_address(entries: Sequence[MapEntry]) -> dict[str, MapEntry]:
    """The first entry for each distinct address (compared case-insensitively)."""
    first: dict[str, MapEntry] = {}
    for entry in entries:
        first.setdefault(entry.address.lower(), entry)
    return first


def _addresses(entries: Sequence[MapEntry]) -> tuple[str, ...]:
    return tuple(entry.address for entry in _by_address(entries).values())


def _pick(dn: str, entries: Sequence[MapEntry], how: str) -> Resolution:
    recipients = list(_by_address(entries).values())
    if len(recipients) > 1:
        # A recipient without an address is named by its name alone: a kind ("user") inside
        # a list of names could not be said in the reader's language.
        names = ", ".join(e.address or f"“{e.name}”" for e in recipients)
        if how == "exact":
            reason = say("belongs to several recipients ({names}): not guessed", names=names)
        else:
            reason = say(
                "without its suffix matches several recipients ({names}): not guessed",
                names=names,
            )
        return Resolution(dn, None, reason=reason)
    entry = recipients[0]
    if not entry.address:
        return Resolution(dn, None, reason=_no_address(entry))
    matched = entry.dn if how == "suffix" else ""
    return Resolution(dn, entry.address, how=how, matched_dn=matched)


def _no_address(entry: MapEntry) -> str:
    if entry.kind == "group":
        return say("the group “{name}” has no SMTP address", name=entry.name)
    if entry.kind == "contact":
        return say("the contact “{name}” has no SMTP address", name=entry.name)
    return say("the user “{name}” has no SMTP address", name=entry.name)


def build_address_map(directory: Mapping[str, Any]) -> AddressMap:
    """The map from the directory JSON of `importdirectory --json` (or the same shape built
    from the wizard's database). Raises BadArguments when it is not of that shape."""
    if not isinstance(directory, Mapping) or not any(
        key in directory for key in ("users", "groups", "contacts")
    ):
        raise BadArguments(
            say(
                "the directory is not what “importdirectory --json” prints: an object with "
                "“users”, “groups” and “contacts”"
            )
        )
    entries: list[MapEntry] = []
    for plural, kind, address_key, name_keys in (
        ("users", "user", "primary", ("sam", "display_name", "upn")),
        ("groups", "group", "mail", ("name",)),
        ("contacts", "contact", "mail", ("name",)),
    ):
        items = directory.get(plural)
        items = [] if items is None else items
        if not isinstance(items, list):
            raise BadArguments(say("“{key}” in the directory is not a list", key=plural))
        for number, item in enumerate(items, start=1):
            where = _entry(plural, number)
            if not isinstance(item, Mapping):
                raise BadArguments(say("{entry} in the directory is not an object", entry=where))
            address = _text(item.get(address_key), where)
            name = next((n for k in name_keys if (n := _text(item.get(k), where))), address)
            for dn in _dns(item.get("x500"), where):
                entries.append(MapEntry(dn, address, kind, name))
    return AddressMap(entries)


def _entry(key: str, number: int) -> str:
    """An entry of the directory JSON as the admin finds it there: its list and its place."""
    return say("entry {number} of “{key}”", number=number, key=key)


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadArguments(
            say(
                "{entry} in the directory has a value that is not text: {value}",
                entry=where,
                value=repr(value),
            )
        )
    return value.strip()


def _dns(values: Any, where: str) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise BadArguments(say("the x500 of {entry} in the directory is not a list", entry=where))
    return [dn for value in values if (dn := _text(value, where))]


def address_map_csv(addresses: AddressMap) -> str:
    """The map as CSV for the admin: `internal_address,smtp_address,kind,name`, one line per
    DN, comma-separated, CRLF, UTF-8 text (the caller adds a byte order mark if Excel is to
    open it)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("internal_address", "smtp_address", "kind", "name"))
    for entry in addresses.entries:
        writer.writerow((entry.dn, entry.address, entry.kind, _formula_safe(entry.name)))
    return out.getvalue()


def _formula_safe(value: str) -> str:
    """Names come from AD: keep a spreadsheet from running one that starts like a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


# --- X500 addresses as aliases -----------------------------------------------------------


@dataclass(frozen=True)
class X500Aliases:
    """The aliases that make mail to a user's old internal addresses deliverable."""

    sam: str
    primary: str
    dns: tuple[str, ...]
    aliases: tuple[str, ...]  # one IMCEAEX address per DN, in the same order


def imceaex_aliases(dns: Iterable[str], domain: str) -> tuple[str, ...]:
    """The IMCEAEX addresses of `dns` in `domain`, one per DN (case-insensitive duplicates
    dropped).

    Why this form: the Intra2net server takes only mail addresses as aliases, and after
    Exchange is gone Outlook and Exchange's leftovers send to an internal address as
    `IMCEAEX-<encoded DN>@<domain>` (the encapsulation Exchange uses for an EX address that
    has to leave over SMTP). An alias in exactly that form turns such a bounce into a
    delivery. The DN's case is kept as the directory has it; mail servers compare local parts
    case-insensitively in practice. These local parts are longer than RFC 5321's 64 octets
    (Exchange ignores that limit): check once that the Intra2net user manager accepts one
    before adding them in bulk.

    `domain` is the organisation's default accepted domain in Exchange, usually the domain of
    the users' primary addresses."""
    return tuple(imceaex_address(dn, domain) for dn in _unique(dns))


def _unique(dns: Iterable[str]) -> tuple[str, ...]:
    first: dict[str, str] = {}
    for dn in dns:
        if dn:
            first.setdefault(dn_key(dn), dn)
    return tuple(first.values())


def x500_aliases(directory: Mapping[str, Any], *, domain: str | None = None) -> list[X500Aliases]:
    """Per user with internal addresses, the IMCEAEX aliases the admin can add on the
    Intra2net server instead of converting contacts and calendars (the other common fix).

    `domain` defaults to the domain of each user's primary address; a user with neither is
    left out (there is no address to encapsulate into)."""
    result = []
    for number, user in enumerate(directory.get("users") or [], start=1):
        primary = (user.get("primary") or "").strip()
        dns = _unique(_dns(user.get("x500"), _entry("users", number)))
        user_domain = domain or primary.rpartition("@")[2]
        if not dns or not user_domain:
            continue
        result.append(
            X500Aliases(user.get("sam") or "", primary, dns, imceaex_aliases(dns, user_domain))
        )
    return result
