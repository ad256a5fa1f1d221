"""Internal Exchange addresses in vCards (`.vcf`, one card or many, vCard 2.1 as Outlook
writes it and 3.0/4.0), replaced by SMTP addresses.

Looked at: every EMAIL, and every X- property (X-MS-...), whose whole value is an internal
address in any of its forms. An EMAIL typed as an Exchange address (`EMAIL;X500:`,
`EMAIL;TYPE=EX:`, also X400) is retyped INTERNET once its value is an SMTP address, so that
Outlook and other clients treat it as one. Nothing else in the file changes.
"""

from __future__ import annotations

from dataclasses import replace

from migrator.address_report import Conversion, Resolver
from migrator.content_lines import ContentFile, Line, Param, ParamValue
from migrator.exchange_addresses import parse_internal_address
from migrator.internal_addresses import AddressMap
from migrator.text import say

EXCHANGE_TYPES = frozenset({"X500", "EX", "X400"})


def convert_vcards(
    data: bytes, addresses: AddressMap, *, name: str = "", allow_suffix: bool = True
) -> Conversion:
    """The vCard file with internal addresses replaced, and the report. Raises
    UnreadableFile when `data` is not a vCard file."""
    cards = ContentFile(data, top="VCARD")
    resolver = Resolver(addresses, allow_suffix=allow_suffix)
    for line in cards.lines:
        if line.name != "EMAIL" and not line.name.startswith("X-"):
            continue
        found = parse_internal_address(line.value)
        if found is None:
            continue
        address = resolver.address_for(
            found, _where(cards, line), line.number, charset=line.charset or "utf-8"
        )
        if address is None:
            continue
        params = _retyped(line) if line.name == "EMAIL" else {}
        cards.rewrite(
            line,
            value=found.scheme + address,
            params=params,
            fold=not cards.version(line).startswith("2"),
        )
    return Conversion(cards.to_bytes(), resolver.report(name, "vcard"))


def _retyped(line: Line) -> dict[int, Param | None]:
    """Parameter changes that turn an Exchange address type into INTERNET (dropping it where
    INTERNET is there already)."""
    types: set[str] = set()
    for param in line.params:
        if param.key == "TYPE":
            types |= {value.text.upper() for value in param.values}
        elif not param.values:
            types.add(param.key)
    has_internet = "INTERNET" in types
    changes: dict[int, Param | None] = {}
    for index, param in enumerate(line.params):
        if not param.values and param.key in EXCHANGE_TYPES:
            changes[index] = None if has_internet else replace(param, name=_internet(param.name))
            has_internet = True
        elif param.key == "TYPE" and any(v.text.upper() in EXCHANGE_TYPES for v in param.values):
            values: list[ParamValue] = []
            for value in param.values:
                if value.text.upper() not in EXCHANGE_TYPES:
                    values.append(value)
                elif not has_internet:
                    values.append(replace(value, text=_internet(value.text)))
                    has_internet = True
            changes[index] = replace(param, values=tuple(values)) if values else None
    return changes


def _internet(like: str) -> str:
    return "internet" if like.islower() else "INTERNET"


def _where(cards: ContentFile, line: Line) -> str:
    _, labelled = cards.labelled(line)
    if labelled is None:
        return say(
            "line {number}, {name} of a card without a name", number=line.number, name=line.name
        )
    return say(
        "line {number}, {name} of the card “{label}”",
        number=line.number,
        name=line.name,
        label=labelled.label,
    )
