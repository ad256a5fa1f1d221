"""What a conversion of internal addresses did to one file: each replacement and each address
left as it was (with where it was found and why), and the error for a file that cannot be
read at all."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.errors import PermanentError
from migrator.exchange_addresses import InternalAddress
from migrator.internal_addresses import AddressMap
from migrator.text import say


class UnreadableFile(PermanentError):
    """The input is no vCard, iCalendar or CSV file, or its text cannot be decoded; str()
    says what is wrong (the caller names the file)."""


@dataclass(frozen=True)
class Replacement:
    """One internal address replaced; `how` is "exact", or "suffix" for a match that ignored
    Exchange's `-<hex>` suffix (worth a look: see migrator.internal_addresses)."""

    where: str
    line: int
    original: str
    address: str
    how: str
    dn: str

    def to_json(self) -> dict:
        return {
            "where": self.where,
            "line": self.line,
            "from": self.original,
            "to": self.address,
            "how": self.how,
        }


@dataclass(frozen=True)
class Unresolved:
    """One internal address left as it was; `dn` is '' when the text holds no DN."""

    where: str
    line: int
    address: str
    dn: str
    reason: str

    def to_json(self) -> dict:
        return {
            "where": self.where,
            "line": self.line,
            "address": self.address,
            "dn": self.dn,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ConversionReport:
    name: str
    kind: str  # "vcard", "icalendar" or "csv"
    replacements: tuple[Replacement, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()

    @property
    def replaced(self) -> int:
        return len(self.replacements)

    @property
    def suffix_matches(self) -> tuple[Replacement, ...]:
        return tuple(r for r in self.replacements if r.how == "suffix")

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "replaced": self.replaced,
            "unresolved": [u.to_json() for u in self.unresolved],
            "replacements": [r.to_json() for r in self.replacements],
        }


@dataclass(frozen=True)
class Conversion:
    """The converted file's bytes and what was done to them."""

    data: bytes = field(repr=False)
    report: ConversionReport


class Resolver:
    """Resolves the internal addresses of one file and records every outcome."""

    def __init__(self, addresses: AddressMap, *, allow_suffix: bool = True) -> None:
        self._addresses = addresses
        self._allow_suffix = allow_suffix
        self._replacements: list[Replacement] = []
        self._unresolved: list[Unresolved] = []

    def address_for(
        self, found: InternalAddress, where: str, line: int, *, charset: str | None = None
    ) -> str | None:
        """The SMTP address to write instead of `found`, or None (recorded as unresolved).
        With `charset`, an address that cannot be written in it stays unresolved too."""
        if not found.dn:
            self.unresolved(
                found, where, line, say("holds no Exchange DN (a damaged IMCEAEX address)")
            )
            return None
        resolution = self._addresses.resolve(found.dn, allow_suffix=self._allow_suffix)
        if resolution.address is None:
            self.unresolved(found, where, line, resolution.reason)
            return None
        if charset is not None and not _encodable(resolution.address, charset):
            reason = say(
                "{address} cannot be written in the file's {charset}",
                address=resolution.address,
                charset=charset,
            )
            self.unresolved(found, where, line, reason)
            return None
        self._replacements.append(
            Replacement(where, line, found.text, resolution.address, resolution.how, found.dn)
        )
        return resolution.address

    def unresolved(self, found: InternalAddress, where: str, line: int, reason: str) -> None:
        self._unresolved.append(Unresolved(where, line, found.text, found.dn, reason))

    def report(self, name: str, kind: str) -> ConversionReport:
        return ConversionReport(name, kind, tuple(self._replacements), tuple(self._unresolved))


def _encodable(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except (UnicodeError, LookupError):
        return False
    return True
