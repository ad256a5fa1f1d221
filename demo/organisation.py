"""The demo's organisation: Corp, a company of 25 people at example.com, and its Exchange.

People in departments, with alias and X500 addresses, one who left (disabled), a scanner's
account without mail, Exchange's system mailboxes, nested groups and mail-enabled contacts:
that is the directory (`DIRECTORY`, the seed for tests/servers/samba.py). Every person's
mailbox has Exchange's folders, nested folders with non-ASCII names ("Kunden/Müller & Söhne"),
calendar, contacts and tasks folders that hold no mail, and a few awkward messages: drafts
without a Message-ID, raw 8-bit header bytes, attachments of several megabytes
(`mailbox(person)`). The public folders are `PUBLIC_FOLDERS`. Everything is the same at every
start: random choices are seeded by the person's account name.

Most people read German, as in a German company: the directory gives them `preferredLanguage`
de-DE (one de-AT), a few colleagues en-GB or en-US, and two have none (their sign-off link
speaks the organisation's default language).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from tests.servers import directory_seed as seed
from tests.servers.directory_seed import Account, Entry, Group
from tests.servers.mail import Seed, make_message

DOMAIN = seed.MAIL_DOMAIN
UPN_DOMAIN = seed.DNS_DOMAIN
START, END = datetime(2023, 1, 2, 8, tzinfo=UTC), datetime(2025, 10, 31, 18, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    """Somebody at Corp with a mailbox on Exchange; `messages` is about how many it holds."""

    sam: str
    given: str
    surname: str
    department: str
    messages: int
    aliases: tuple[str, ...] = ()
    x500: bool = False
    disabled: bool = False
    big_attachments: int = 0
    language: str | None = "de-DE"  # the directory's preferredLanguage; None: not set

    @property
    def display_name(self) -> str:
        return f"{self.given} {self.surname}"

    @property
    def address(self) -> str:
        return f"{self.sam}@{DOMAIN}"

    @property
    def upn(self) -> str:
        """Exchange's IMAP login (what the wizard takes from the directory)."""
        return f"{self.sam}@{UPN_DOMAIN}"

    @property
    def account(self) -> Account:
        proxies = (f"SMTP:{self.address}", *(f"smtp:{alias}@{DOMAIN}" for alias in self.aliases))
        if self.x500:  # an older legacyExchangeDN, kept as an X500 address
            proxies += (f"X500:{seed.EXCHANGE_DN}{self.sam.replace('.', '')}",)
        return Account(
            self.display_name, seed.STAFF_OU, self.sam, self.given, self.surname, self.address,
            proxies, seed.legacy_dn(self.sam), disabled=self.disabled,
        )

    @property
    def entry(self) -> Entry:
        """The person in the directory, with their preferredLanguage where they have one."""
        entry = seed._account_entry(self.account)
        if self.language is None:
            return entry
        return replace(entry, attributes={**entry.attributes, "preferredLanguage": [self.language]})


MANAGEMENT, SALES, ACCOUNTING = "Geschäftsführung", "Vertrieb", "Buchhaltung"
ENGINEERING, MARKETING, RECEPTION, IT = "Technik", "Marketing", "Empfang", "IT"

PEOPLE: tuple[Person, ...] = (
    Person("joerg.mueller", "Jörg", "Müller", MANAGEMENT, 300, ("j.mueller", "ceo"), True,
           big_attachments=2),
    Person("anna.schmidt", "Anna", "Schmidt", SALES, 220, ("a.schmidt",), True,
           big_attachments=1),
    Person("claire.dubois", "Claire", "Dubois", SALES, 140, ("c.dubois",), language="en-GB"),
    Person("mehmet.yilmaz", "Mehmet", "Yılmaz", SALES, 120),
    Person("sofia.rossi", "Sofia", "Rossi", SALES, 110),
    Person("lukas.hoffmann", "Lukas", "Hoffmann", SALES, 90),
    Person("zoe.martin", "Zoé", "Martin", SALES, 60, language=None),
    Person("katharina.fischer", "Katharina", "Fischer", ACCOUNTING, 160, ("k.fischer",), True),
    Person("lena.weber", "Lena", "Weber", ACCOUNTING, 100),
    Person("thomas.braun", "Thomas", "Braun", ACCOUNTING, 80),
    Person("olga.ivanova", "Olga", "Ivanova", ACCOUNTING, 60, language=None),
    Person("tobias.keller", "Tobias", "Keller", ENGINEERING, 150, (), True, big_attachments=1),
    Person("jan.novak", "Jan", "Novák", ENGINEERING, 130),
    Person("eva.lindqvist", "Eva", "Lindqvist", ENGINEERING, 120, language="en-GB"),
    Person("david.cohen", "David", "Cohen", ENGINEERING, 100, language="en-US"),
    Person("nina.petrovic", "Nina", "Petrović", ENGINEERING, 90),
    Person("marco.bianchi", "Marco", "Bianchi", ENGINEERING, 90, (), True),
    Person("felix.wagner", "Felix", "Wagner", ENGINEERING, 70, language="de-AT"),
    Person("bjoern.nielsen", "Björn", "Nielsen", ENGINEERING, 80, ("b.nielsen",)),
    Person("sarah.meyer", "Sarah", "Meyer", MARKETING, 110, ("presse",)),
    Person("paul.richter", "Paul", "Richter", MARKETING, 60),
    Person("ines.garcia", "Inés", "García", MARKETING, 70, language="en-GB"),
    Person("julia.schulz", "Julia", "Schulz", RECEPTION, 180, ("empfang", "info"),
           big_attachments=1),
    Person("ahmed.hassan", "Ahmed", "Hassan", IT, 150, ("it", "postmaster"), True),
    # Left the company: disabled in AD, the mailbox is still on Exchange; nobody moves it.
    Person("peter.altmann", "Peter", "Altmann", SALES, 40, disabled=True),
)
MOVING = tuple(person for person in PEOPLE if not person.disabled)
BY_SAM = {person.sam: person for person in PEOPLE}


def _group(cn: str, sam: str, members, mail: str | None = None, aliases=(), **kw) -> Group:
    dns = tuple(m.dn if isinstance(m, Group) else BY_SAM[m].account.dn for m in members)
    proxies = ()
    if mail:
        proxies = (f"SMTP:{mail}@{DOMAIN}", *(f"smtp:{a}@{DOMAIN}" for a in aliases),
                   f"X500:{seed.EXCHANGE_DN}{sam}")
    return Group(
        cn, sam, dns, mail=f"{mail}@{DOMAIN}" if mail else None, proxy_addresses=proxies,
        legacy_exchange_dn=seed.legacy_dn(sam) if mail else None, **kw,
    )


def _department(name: str) -> tuple[str, ...]:
    return tuple(p.sam for p in MOVING if p.department == name)


SALES_MUNICH = _group("Vertrieb München", "vertrieb-muenchen",
                      ("anna.schmidt", "sofia.rossi", "lukas.hoffmann"))
SALES_GROUP = _group(
    "Vertrieb", "vertrieb",
    (SALES_MUNICH, "claire.dubois", "mehmet.yilmaz", "zoe.martin"), "vertrieb", ("sales",),
)
ACCOUNTING_GROUP = _group("Buchhaltung", "buchhaltung", _department(ACCOUNTING), "buchhaltung")
ENGINEERING_GROUP = _group("Technik", "technik", _department(ENGINEERING), "technik")
MANAGEMENT_GROUP = _group("Geschäftsführung", "geschaeftsfuehrung", _department(MANAGEMENT))
MARKETING_GROUP = _group("Marketing", "marketing", _department(MARKETING), "marketing")
EVERYONE = _group(
    "Alle", "alle",
    (SALES_GROUP, ACCOUNTING_GROUP, ENGINEERING_GROUP, MANAGEMENT_GROUP, MARKETING_GROUP,
     "julia.schulz", "ahmed.hassan"),
    "alle", ("all",), group_type=seed.GROUP_GLOBAL_DISTRIBUTION,
)
# Members before the groups that contain them.
GROUPS = (SALES_MUNICH, SALES_GROUP, ACCOUNTING_GROUP, ENGINEERING_GROUP, MANAGEMENT_GROUP,
          MARKETING_GROUP, EVERYONE)

# The seed for Samba (tests/servers/samba.py builds and caches a template of it).
DIRECTORY: tuple[Entry, ...] = (
    Entry(seed.STAFF_OU, "organizationalUnit"),
    Entry(seed.GROUPS_OU, "organizationalUnit"),
    Entry(seed.CONTACTS_OU, "organizationalUnit"),
    *(person.entry for person in PEOPLE),
    *(seed._account_entry(account) for account in (
        seed.NON_MAIL_USER, *seed.SYSTEM_ACCOUNTS, *seed.CONTACTS,
    )),
    *(seed._group_entry(group) for group in GROUPS),
)

# --- what the mailboxes hold ------------------------------------------------------------------

CUSTOMERS = ("Müller & Söhne", "Café Zürich AG", "Bäckerei Groß", "Nordwind Logistik",
             "Stadtwerke Ulm", "Oceanic Trading Ltd")
FOLDER_SHARES = {  # of a mailbox's messages; "/" separates levels as on Exchange
    "INBOX": 0.42,
    "Sent Items": 0.2,
    "Deleted Items": 0.07,
    "Junk Email": 0.02,
    "Archive/2023": 0.08,
    "Archive/2024": 0.07,
}
DEPARTMENT_FOLDERS = {
    MANAGEMENT: ("Kunden/Müller & Söhne", "Vorstand/Berichte 2025", "Personal"),
    SALES: ("Kunden/Müller & Söhne", "Kunden/Café Zürich AG", "Angebote/2025"),
    ACCOUNTING: ("Kunden/Müller & Söhne", "Rechnungen/2024", "Rechnungen/2025", "Steuerberater"),
    ENGINEERING: ("Projekte/Website-Relaunch", "Projekte/Website-Relaunch/Entwürfe",
                  "Projekte/ERP-Umstellung"),
    MARKETING: ("Projekte/Messe 2025", "Presse & Öffentlichkeit"),
    RECEPTION: ("Rückrufbitten", "Lieferungen"),
    IT: ("Projekte/ERP-Umstellung", "Monitoring/Alerts", "Lizenzen"),
}
SUBJECTS = (
    "Angebot {n} für {customer}", "Re: Rechnung {n}", "AW: Ihre Anfrage vom {day}",
    "Protokoll Teammeeting {day}", "Lieferung KW {week}", "Urlaubsantrag {day}",
    "Quarterly figures Q{quarter}", "Re: Re: Termin mit {customer}", "WG: Preisliste {year}",
    "Einladung: Sommerfest {year}", "Reklamation Auftrag {n}", "Fwd: Contract draft v{v}",
    "Status ERP-Umstellung", "Website-Relaunch: Entwurf v{v}", "Ihre Bestellung {n} bei {customer}",
    "Schulung Datenschutz — Termine", "Kurze Frage zu {customer}", "Übergabe Projektordner",
)
LINES = (
    "vielen Dank für Ihre Nachricht.", "anbei die Unterlagen wie besprochen.",
    "können wir das morgen kurz telefonisch klären?", "please find the figures attached.",
    "die Lieferung verzögert sich um zwei Tage.", "ich bin ab Montag wieder im Büro.",
    "bitte prüfen und freigeben.", "the meeting moves to Thursday, 10:00.",
    "Grüße aus München.", "das Angebot gilt bis Monatsende.",
)
PARTNERS = ("einkauf@mueller-soehne.example", "info@cafe-zuerich.example",
            "buchhaltung@steuerberatung-klein.example", "noreply@nordwind-logistik.example",
            "sophie.martin@client.example.net", "hans.berger@partner.example.org")
DRAFTS = 3
NON_MAIL_ITEMS = {"Calendar": 8, "Contacts": 6, "Tasks": 3}


def mailbox(person: Person) -> dict[str, list[Seed]]:
    """The person's Exchange mailbox: folder name ("/"-separated) -> messages."""
    rng = random.Random(person.sam)
    shares = dict(FOLDER_SHARES)
    for name in DEPARTMENT_FOLDERS[person.department]:
        shares[name] = 0.04
    counts = {name: max(1, round(person.messages * share)) for name, share in shares.items()}
    counts["INBOX"] += max(0, person.messages - sum(counts.values()))
    folders: dict[str, list[Seed]] = {}
    serial = 0
    for name, count in counts.items():
        seeds = []
        for _ in range(count):
            serial += 1
            seeds.append(_mail(rng, person, name, serial))
        folders[name] = seeds
    folders["INBOX"] += [_big(rng, person, n) for n in range(person.big_attachments)]
    folders["Drafts"] = [_draft(rng, person, n) for n in range(DRAFTS)]
    for name, count in NON_MAIL_ITEMS.items():
        folders[name] = [Seed(_item(person, name, n), ("\\Seen",), START) for n in range(count)]
    return folders


def _subject(rng: random.Random) -> str:
    return rng.choice(SUBJECTS).format(
        n=rng.randrange(10_000, 99_999), customer=rng.choice(CUSTOMERS),
        day=f"{rng.randrange(1, 29)}.{rng.randrange(1, 13)}.", week=rng.randrange(1, 53),
        quarter=rng.randrange(1, 5), year=rng.randrange(2023, 2026), v=rng.randrange(2, 9),
    )


def _when(rng: random.Random, folder: str) -> datetime:
    start, end = START, END
    if folder.startswith("Archive/"):
        year = int(folder.removeprefix("Archive/"))
        start, end = datetime(year, 1, 2, tzinfo=UTC), datetime(year, 12, 22, tzinfo=UTC)
    return start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))


def _colleague(rng: random.Random, person: Person) -> str:
    other = rng.choice([p for p in MOVING if p is not person])
    return f"{other.display_name} <{other.address}>"


def _mail(rng: random.Random, person: Person, folder: str, serial: int) -> Seed:
    me = f"{person.display_name} <{person.address}>"
    other = _colleague(rng, person) if rng.random() < 0.6 else rng.choice(PARTNERS)
    sender, to = (me, other) if folder == "Sent Items" else (other, me)
    when = _when(rng, folder)
    greeting = "Hallo" if rng.random() < 0.7 else "Hello"
    body = "\n".join(
        [f"{greeting} {person.given},", "", *rng.sample(LINES, 3), "", "Viele Grüße", ""]
    )
    # One in fifty carries raw UTF-8 in a header (old clients did that); one in sixty lost its
    # Message-ID on the way (Exchange adds none to some internal messages).
    raw_8bit = folder == "INBOX" and serial % 50 == 7
    message_id: str | None = f"<{rng.getrandbits(64):016x}.{serial}@exchange.corp.example.test>"
    if serial % 60 == 11:
        message_id = None
    message = make_message(
        _subject(rng), sender=sender, to=to, date=when, message_id=message_id, body=body,
        size=rng.randrange(2_000, 40_000), raw_8bit_header=raw_8bit,
        attachment_size=rng.randrange(20_000, 300_000) if rng.random() < 0.08 else 0,
    )
    return Seed(message, _flags(rng, folder), when)


def _flags(rng: random.Random, folder: str) -> tuple[str, ...]:
    if folder in ("Sent Items", "Deleted Items") or folder.startswith("Archive/"):
        return ("\\Seen",)
    flags = ["\\Seen"] if rng.random() < 0.85 else []
    if rng.random() < 0.2:
        flags.append("\\Answered")
    if rng.random() < 0.05:
        flags.append("\\Flagged")
    if rng.random() < 0.04:
        flags.append("$Label1")  # Outlook's "Important" category, an IMAP keyword
    return tuple(flags)


def _big(rng: random.Random, person: Person, n: int) -> Seed:
    when = _when(rng, "INBOX")
    message = make_message(
        f"Präsentation Messe {2024 + n} (final)", sender=_colleague(rng, person),
        to=f"{person.display_name} <{person.address}>", date=when,
        message_id=f"<big.{n}.{person.sam}@exchange.corp.example.test>",
        body="Hallo,\n\nanbei die Präsentation und die Fotos vom Stand.\n",
        attachment_size=rng.randrange(4_000_000, 9_000_000),
    )
    return Seed(message, ("\\Seen",), when)


def _draft(rng: random.Random, person: Person, n: int) -> Seed:
    when = _when(rng, "Drafts")
    message = make_message(
        f"Entwurf: {_subject(rng)}", sender=f"{person.display_name} <{person.address}>",
        to=rng.choice(PARTNERS), date=when, message_id=None,  # Exchange's drafts have none
        body=f"Sehr geehrte Damen und Herren,\n\n(Entwurf {n + 1}, noch nicht fertig)\n",
    )
    return Seed(message, ("\\Draft", "\\Seen"), when)


def _item(person: Person, folder: str, n: int) -> bytes:
    """A calendar entry, contact or task as Exchange shows it over IMAP: not mail."""
    kind = {"Calendar": "text/calendar", "Contacts": "text/vcard", "Tasks": "text/plain"}[folder]
    return (
        f"From: {person.display_name} <{person.address}>\r\nSubject: {folder} item {n + 1}\r\n"
        f"Date: Mon, 2 Jan 2023 09:00:00 +0100\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: {kind}; charset=utf-8\r\n\r\n{folder} item {n + 1}\r\n"
    ).encode()


# --- public folders ---------------------------------------------------------------------------

PUBLIC_FOLDERS = {  # "/"-separated below Exchange's public namespace -> number of messages
    "Allgemein": 12,
    "Allgemein/Urlaubsplanung": 8,
    "Vertrieb/Preislisten": 10,
    "Empfang/Rückrufbitten": 20,
}


def public_folder(name: str) -> list[Seed]:
    rng = random.Random(name)
    seeds = []
    for n in range(PUBLIC_FOLDERS[name]):
        when = _when(rng, name)
        message = make_message(
            f"{name.rsplit('/', 1)[-1]}: {_subject(rng)}", sender=_colleague(rng, MOVING[0]),
            to=f"{name} <public@{DOMAIN}>", date=when,
            message_id=f"<public.{n}.{rng.getrandbits(48):012x}@exchange.corp.example.test>",
            body="\n".join(rng.sample(LINES, 2)) + "\n", size=rng.randrange(1_500, 12_000),
        )
        seeds.append(Seed(message, ("\\Seen",), when))
    return seeds
