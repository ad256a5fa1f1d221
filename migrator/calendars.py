"""Internal Exchange addresses in iCalendar files (`.ics`: events, tasks, their alarms),
replaced by SMTP addresses.

Looked at: the value of ORGANIZER and ATTENDEE and of every X- property (X-MS-OLK-SENDER
...) when it is an internal address as a whole, in any of Outlook's forms
(`MAILTO:IMCEAEX-...@domain`, `mailto:/O=...`, `EX:/o=...`, ...); their parameters that hold
addresses (SENT-BY, DELEGATED-TO, DELEGATED-FROM, MEMBER, EMAIL), and CN when Outlook wrote
the address there for want of a name. A cal-address written without `mailto:` gets one,
spelled as the file spells it elsewhere. Nothing else in the file changes.
"""

from __future__ import annotations

from dataclasses import replace

from migrator.address_report import Conversion, Resolver
from migrator.content_lines import ContentFile, Line, Param
from migrator.exchange_addresses import parse_internal_address
from migrator.internal_addresses import AddressMap

CAL_ADDRESS_PROPERTIES = frozenset({"ORGANIZER", "ATTENDEE"})
CAL_ADDRESS_PARAMS = frozenset({"SENT-BY", "DELEGATED-TO", "DELEGATED-FROM", "MEMBER"})
ADDRESS_PARAMS = CAL_ADDRESS_PARAMS | {"EMAIL", "CN"}
NOUNS = {"VEVENT": "event", "VTODO": "task", "VJOURNAL": "journal entry",
         "VFREEBUSY": "free/busy time", "VALARM": "alarm", "VCALENDAR": "calendar"}


def convert_calendar(
    data: bytes, addresses: AddressMap, *, name: str = "", allow_suffix: bool = True
) -> Conversion:
    """The iCalendar file with internal addresses replaced, and the report. Raises
    UnreadableFile when `data` is not an iCalendar file."""
    calendar = ContentFile(data, top="VCALENDAR")
    resolver = Resolver(addresses, allow_suffix=allow_suffix)
    mailto = "MAILTO:" if b"MAILTO:" in calendar.body else "mailto:"
    for line in calendar.lines:
        cal_address = line.name in CAL_ADDRESS_PROPERTIES
        if not (cal_address or line.name.startswith("X-")):
            continue
        charset = line.charset or "utf-8"
        where = _where(calendar, line)
        value = None
        found = parse_internal_address(line.value)
        if found is not None:
            address = resolver.address_for(found, where, line.number, charset=charset)
            if address is not None:
                value = (found.scheme or (mailto if cal_address else "")) + address
        params: dict[int, Param | None] = {}
        for index, param in enumerate(line.params):
            if param.key not in ADDRESS_PARAMS:
                continue
            values = list(param.values)
            for position, written in enumerate(param.values):
                found = parse_internal_address(written.text)
                if found is None or not line.has_param_value(param, written):
                    continue
                address = resolver.address_for(
                    found, f"{where} ({param.key})", line.number, charset=charset
                )
                if address is not None:
                    scheme = found.scheme or (mailto if param.key in CAL_ADDRESS_PARAMS else "")
                    values[position] = replace(written, text=scheme + address)
            if values != list(param.values):
                params[index] = replace(param, values=tuple(values))
        if value is not None or params:
            calendar.rewrite(line, value=value, params=params)
    return Conversion(calendar.to_bytes(), resolver.report(name, "icalendar"))


def _where(calendar: ContentFile, line: Line) -> str:
    own, labelled = calendar.labelled(line)
    if own is None or own.name == "VCALENDAR":
        return f"line {line.number}, {line.name} of the calendar"
    noun = NOUNS.get(own.name, own.name)
    if labelled is None:
        return f"line {line.number}, {line.name} of a {noun} without a summary"
    if labelled is own:
        return f"line {line.number}, {line.name} of the {noun} “{own.label}”"
    outer = NOUNS.get(labelled.name, labelled.name)
    article = "an" if noun[:1] in "aeiou" else "a"
    return f"line {line.number}, {line.name} of {article} {noun} of the {outer} “{labelled.label}”"
