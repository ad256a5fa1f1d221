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
from migrator.text import say

CAL_ADDRESS_PROPERTIES = frozenset({"ORGANIZER", "ATTENDEE"})
CAL_ADDRESS_PARAMS = frozenset({"SENT-BY", "DELEGATED-TO", "DELEGATED-FROM", "MEMBER"})
ADDRESS_PARAMS = CAL_ADDRESS_PARAMS | {"EMAIL", "CN"}


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
                    found,
                    say("{where}, parameter {parameter}", where=where, parameter=param.key),
                    line.number,
                    charset=charset,
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
    """Where `line` is, for a person: each kind of component is said in a sentence of its own,
    since languages other than English inflect the noun and its article."""
    own, labelled = calendar.labelled(line)
    number, name = line.number, line.name
    if own is None or own.name == "VCALENDAR":
        return say("line {number}, {name} of the calendar", number=number, name=name)
    if labelled is None:
        return _without_summary(number, name, own.name)
    if labelled is own:
        return say(
            "line {number}, {name} of {component}",
            number=number,
            name=name,
            component=_labelled(own.name, own.label),
        )
    whole = _labelled(labelled.name, labelled.label)
    if own.name == "VALARM":
        return say(
            "line {number}, {name} of an alarm of {whole}", number=number, name=name, whole=whole
        )
    return say(
        "line {number}, {name} of a {component} component of {whole}",
        number=number,
        name=name,
        component=own.name,
        whole=whole,
    )


def _without_summary(number: int, name: str, component: str) -> str:
    values = {"number": number, "name": name}
    if component == "VEVENT":
        return say("line {number}, {name} of an event without a summary", **values)
    if component == "VTODO":
        return say("line {number}, {name} of a task without a summary", **values)
    if component == "VJOURNAL":
        return say("line {number}, {name} of a journal entry without a summary", **values)
    if component == "VFREEBUSY":
        return say("line {number}, {name} of a free/busy time without a summary", **values)
    if component == "VALARM":
        return say("line {number}, {name} of an alarm without a summary", **values)
    return say(
        "line {number}, {name} of a {component} component without a summary",
        component=component,
        **values,
    )


def _labelled(component: str, label: str) -> str:
    """The component by its summary, as the end of a "… of …" sentence."""
    if component == "VEVENT":
        return say("the event “{label}”", label=label)
    if component == "VTODO":
        return say("the task “{label}”", label=label)
    if component == "VJOURNAL":
        return say("the journal entry “{label}”", label=label)
    if component == "VFREEBUSY":
        return say("the free/busy time “{label}”", label=label)
    if component == "VALARM":
        return say("the alarm “{label}”", label=label)
    return say("the {component} component “{label}”", component=component, label=label)
