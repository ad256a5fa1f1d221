"""Converting one of Outlook's exports, chosen by its file name: `.vcf` (vCard), `.ics`
(iCalendar) or `.csv` (contact list)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from migrator.address_report import Conversion, UnreadableFile
from migrator.calendars import convert_calendar
from migrator.contact_csv import convert_contact_csv
from migrator.internal_addresses import AddressMap
from migrator.text import say
from migrator.vcards import convert_vcards

Converter = Callable[..., Conversion]
CONVERTERS: dict[str, Converter] = {
    ".vcf": convert_vcards,
    ".vcard": convert_vcards,
    ".ics": convert_calendar,
    ".csv": convert_contact_csv,
}


def convert_file(
    name: str, data: bytes, addresses: AddressMap, *, allow_suffix: bool = True
) -> Conversion:
    """The converted file and its report. Raises UnreadableFile for an unknown extension or
    a file that is not what its extension says."""
    converter = CONVERTERS.get(PurePath(name).suffix.lower())
    if converter is None:
        raise UnreadableFile(say("only .vcf, .ics and .csv files can be converted"))
    return converter(data, addresses, name=PurePath(name).name, allow_suffix=allow_suffix)
