"""Internal addresses of organisers and attendees in Outlook's calendars and tasks are replaced
by SMTP addresses; every other byte of the file stays as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vobject

from migrator.calendars import convert_calendar
from migrator.internal_addresses import AddressMap, MapEntry, build_address_map

FIXTURES = Path(__file__).parent / "fixtures" / "addresses"
LEGACY = "/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients"


@pytest.fixture(scope="module")
def addresses() -> AddressMap:
    return build_address_map(json.loads((FIXTURES / "directory.json").read_text("utf-8")))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def folded(data: bytes, start: bytes) -> bytes:
    """The physical lines of the logical line starting with `start`, as written."""
    lines = data.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    last = first + 1
    while last < len(lines) and lines[last][:1] in (b" ", b"\t"):
        last += 1
    return b"".join(lines[first:last])


def test_an_outlook_meeting_keeps_every_byte_but_the_replaced_addresses(addresses):
    original = fixture("outlook-besprechung.ics")

    conversion = convert_calendar(original, addresses, name="besprechung.ics")

    expected = original
    for start, new in (
        ('ATTENDEE;CN="Jörg'.encode(),
         'ATTENDEE;CN="Jörg Müller";RSVP=TRUE:MAILTO:joerg.mueller@corp.example\r\n'.encode()),
        (b"ATTENDEE;CN=Vertrieb",
         b"ATTENDEE;CN=Vertrieb;ROLE=OPT-PARTICIPANT;RSVP=TRUE:MAILTO:vertrieb@corp.ex\r\n"
         b" ample\r\n"),
        (b"ORGANIZER",
         b'ORGANIZER;CN="Anna Schmidt";SENT-BY="mailto:peter.wagner@corp.example":mail\r\n'
         b" to:anna.schmidt@corp.example\r\n"),
        (b"X-MS-OLK-SENDER",
         b'X-MS-OLK-SENDER;CN="Peter Wagner":mailto:peter.wagner@corp.example\r\n'),
    ):
        expected = expected.replace(folded(original, start), new)
    assert conversion.data == expected
    assert folded(original, b'ATTENDEE;CN="Thomas') in conversion.data
    assert [(r.where, r.address) for r in conversion.report.replacements] == [
        ("line 22, ATTENDEE of the event “Quartalsplanung Vertrieb”", "joerg.mueller@corp.example"),
        ("line 25, ATTENDEE of the event “Quartalsplanung Vertrieb”", "vertrieb@corp.example"),
        ("line 41, ORGANIZER of the event “Quartalsplanung Vertrieb”", "anna.schmidt@corp.example"),
        ("line 41, ORGANIZER of the event “Quartalsplanung Vertrieb”, parameter SENT-BY",
         "peter.wagner@corp.example"),
        ("line 61, X-MS-OLK-SENDER of the event “Quartalsplanung Vertrieb”",
         "peter.wagner@corp.example"),
    ]


def test_the_attendee_nobody_knows_is_reported_and_left_in_place(addresses):
    report = convert_calendar(fixture("outlook-besprechung.ics"), addresses).report
    assert [(u.where, u.dn) for u in report.unresolved] == [
        ("line 28, ATTENDEE of the event “Quartalsplanung Vertrieb”",
         "/O=CORP/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=TBAUER"),
    ]


def test_the_converted_meeting_still_parses_with_vobject(addresses):
    converted = convert_calendar(fixture("outlook-besprechung.ics"), addresses).data
    event = vobject.readOne(converted.decode("utf-8")).vevent
    assert [a.value for a in event.attendee_list][:2] == [
        "MAILTO:joerg.mueller@corp.example", "MAILTO:vertrieb@corp.example"
    ]
    assert event.organizer.value == "mailto:anna.schmidt@corp.example"
    assert event.organizer.params["SENT-BY"] == ["mailto:peter.wagner@corp.example"]
    assert event.attendee_list[0].params["CN"] == ["Jörg Müller"]


def test_tasks_with_lf_line_ends_and_tab_folding_keep_both(addresses):
    original = fixture("outlook-aufgaben.ics")

    conversion = convert_calendar(original, addresses)

    expected = original.replace(
        folded(original, b"ATTENDEE;CN=/O=CORP"),
        b"ATTENDEE;CN=peter.wagner@corp.example;ROLE=REQ-PARTICIPANT:MAILTO:peter.wag\n"
        b"\tner@corp.example\n",
    ).replace(
        folded(original, b"ORGANIZER;CN=\"J"),
        'ORGANIZER;CN="Jörg Müller":MAILTO:joerg.mueller@corp.example\n'.encode(),
    )
    assert conversion.data == expected
    assert b"\r" not in conversion.data


def test_an_exchange_address_in_cn_is_replaced_too_and_counted(addresses):
    report = convert_calendar(fixture("outlook-aufgaben.ics"), addresses).report
    assert [r.where for r in report.replacements] == [
        "line 6, ATTENDEE of the task “Angebot für Müller & Söhne prüfen”",
        "line 6, ATTENDEE of the task “Angebot für Müller & Söhne prüfen”, parameter CN",
        "line 11, ORGANIZER of the task “Angebot für Müller & Söhne prüfen”",
    ]


def test_a_task_organiser_without_smtp_address_stays_with_the_reason(addresses):
    report = convert_calendar(fixture("outlook-aufgaben.ics"), addresses).report
    assert [(u.where, u.reason) for u in report.unresolved] == [
        ("line 19, ATTENDEE of the task “Scanner-Ablage aufräumen”",
         "not in the directory: the recipient may have been deleted, or the directory import "
         "does not cover it"),
        ("line 22, ORGANIZER of the task “Scanner-Ablage aufräumen”",
         "the user “svc-scan” has no SMTP address"),
    ]


def calendar(*lines: str) -> bytes:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", *lines, "END:VCALENDAR"]
    return "".join(line + "\r\n" for line in body).encode()


JANE = AddressMap([
    MapEntry("/o=A/cn=jane", "jane@corp.example", "user", "jane"),
    MapEntry("/o=A/cn=bob", "bob@corp.example", "user", "bob"),
])


def test_a_cal_address_written_without_scheme_gets_mailto_as_the_file_spells_it():
    written = calendar("BEGIN:VEVENT", "SUMMARY:Jour fixe", "ORGANIZER:EX:/o=A/cn=jane",
                       "ATTENDEE:mailto:bob@corp.example", "END:VEVENT")
    converted = convert_calendar(written, JANE).data
    assert b"ORGANIZER:mailto:jane@corp.example\r\n" in converted


def test_address_lists_in_parameters_are_replaced_value_by_value():
    written = calendar(
        "BEGIN:VEVENT",
        'ATTENDEE;DELEGATED-TO="mailto:/o=A/cn=jane","mailto:x@y.example";MEMBER="EX:/o=A/cn=bob"'
        ":mailto:carl@corp.example",
        "END:VEVENT",
    )
    converted = convert_calendar(written, JANE)
    assert converted.data == calendar(
        "BEGIN:VEVENT",
        'ATTENDEE;DELEGATED-TO="mailto:jane@corp.example","mailto:x@y.example";MEMBE',
        ' R="mailto:bob@corp.example":mailto:carl@corp.example',
        "END:VEVENT",
    )
    assert converted.report.replaced == 2


def test_an_attendee_of_an_alarm_is_placed_within_its_event():
    written = calendar("BEGIN:VEVENT", "SUMMARY:Review", "BEGIN:VALARM", "ACTION:EMAIL",
                       "ATTENDEE:mailto:/o=A/cn=nobody", "END:VALARM", "END:VEVENT")
    [unresolved] = convert_calendar(written, JANE).report.unresolved
    assert unresolved.where == "line 8, ATTENDEE of an alarm of the event “Review”"


def test_descriptions_and_other_properties_that_mention_a_dn_are_left_alone():
    written = calendar("BEGIN:VEVENT", "DESCRIPTION:Organiser was /o=A/cn=jane",
                       "LOCATION:/o=A/cn=jane", "END:VEVENT")
    conversion = convert_calendar(written, JANE)
    assert conversion.data == written
    assert conversion.report.replaced == 0


def test_a_property_of_the_calendar_itself_is_placed_there():
    written = calendar("X-WR-RELCALID:mailto:/o=A/cn=nobody", "BEGIN:VEVENT", "END:VEVENT")
    [unresolved] = convert_calendar(written, JANE).report.unresolved
    assert unresolved.where == "line 4, X-WR-RELCALID of the calendar"
