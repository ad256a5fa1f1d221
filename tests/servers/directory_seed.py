"""The test Active Directory: what `start_samba()` loads into Samba, and what tests expect.

An Exchange organisation's directory in miniature: 1,050 ordinary mail users in OU=Staff
(user0001..user1050, every name pair unique, `smtp:` aliases on every third, older `X500:`
addresses on every fifth), a few named people (non-ASCII names, known passwords, one disabled
account, one without mail), nested groups (Sales contains Sales-Munich and Claire; Sales is
mail-enabled with an X500 address; All Staff has more than 1,000 members), mail-enabled
contacts, and Exchange's system mailboxes in CN=Users that are not people's mailboxes.

Samba has no Exchange schema, but `proxyAddresses` and `legacyExchangeDN` are part of the base
AD schema (class mailRecipient) and work for users, groups and contacts; `mailNickname` and
`msExch*` attributes do not exist. Users without a password get userAccountControl 544
(NORMAL_ACCOUNT | PASSWD_NOTREQD): enabled, unlike AD's default for password-less users.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

REALM = "CORP.EXAMPLE.TEST"
DOMAIN = "CORP"
DNS_DOMAIN = "corp.example.test"
BASE_DN = "DC=corp,DC=example,DC=test"
ADMIN_PASSWORD = "Adm1n!Passw0rd"
MAIL_DOMAIN = "example.com"
STAFF_OU = f"OU=Staff,{BASE_DN}"
GROUPS_OU = f"OU=Groups,{BASE_DN}"
CONTACTS_OU = f"OU=Contacts,{BASE_DN}"
USERS_CN = f"CN=Users,{BASE_DN}"
EXCHANGE_DN = "/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="

UAC_NORMAL = 0x200
UAC_PASSWD_NOTREQD = 0x20
UAC_DISABLED = 0x2
GROUP_GLOBAL_SECURITY = -2147483646
GROUP_GLOBAL_DISTRIBUTION = 2

FIRST_NAMES = (
    "Alexander", "Benjamin", "Christina", "Daniel", "Elena", "Felix", "Greta", "Hannah", "Isabel",
    "Jonas", "Katharina", "Lukas", "Marie", "Niklas", "Olivia", "Paul", "Quentin", "Rebecca",
    "Sebastian", "Theresa", "Ulrich", "Valentina", "Wolfgang", "Xenia", "Yannick", "Zoe",
    "Andreas", "Birgit", "Carsten", "Doris",
)
LAST_NAMES = (
    "Bauer", "Becker", "Braun", "Fischer", "Hartmann", "Hoffmann", "Keller", "Klein", "Koch",
    "Krause", "Lange", "Lehmann", "Maier", "Neumann", "Peters", "Richter", "Schneider", "Schulz",
    "Schwarz", "Vogel", "Wagner", "Weber", "Werner", "Wolf", "Zimmermann", "Martin", "Bernard",
    "Laurent", "Moreau", "Rossi", "Russo", "Garcia", "Novak", "Jansen", "Nielsen",
)
ORDINARY_USER_COUNT = len(FIRST_NAMES) * len(LAST_NAMES)  # 1,050


def legacy_dn(name: str) -> str:
    """An Exchange 2013+ style legacyExchangeDN: a hash, a dash and the alias."""
    return f"{EXCHANGE_DN}{hashlib.sha256(name.encode()).hexdigest()[:32]}-{name}"


@dataclass(frozen=True)
class Account:
    """A user or a contact (object_class "contact": no sAMAccountName, no password)."""

    cn: str
    container: str
    sam: str | None
    given_name: str | None = None
    surname: str | None = None
    mail: str | None = None
    proxy_addresses: tuple[str, ...] = ()
    legacy_exchange_dn: str | None = None
    password: str | None = None
    disabled: bool = False
    object_class: str = "user"

    @property
    def dn(self) -> str:
        return f"CN={self.cn},{self.container}"

    @property
    def user_account_control(self) -> int:
        flags = UAC_NORMAL if self.password else UAC_NORMAL | UAC_PASSWD_NOTREQD
        return flags | UAC_DISABLED if self.disabled else flags


@dataclass(frozen=True)
class Group:
    cn: str
    sam: str
    members: tuple[str, ...]  # DNs
    group_type: int = GROUP_GLOBAL_SECURITY
    mail: str | None = None
    proxy_addresses: tuple[str, ...] = ()
    legacy_exchange_dn: str | None = None

    @property
    def dn(self) -> str:
        return f"CN={self.cn},{GROUPS_OU}"


def _mail_user(
    cn: str,
    sam: str,
    given: str,
    surname: str,
    local: str,
    *,
    aliases: tuple[str, ...] = (),
    x500: str | None = None,
    password: str | None = None,
    disabled: bool = False,
) -> Account:
    """A person in OU=Staff whose primary address is LOCAL@example.com."""
    mail = f"{local}@{MAIL_DOMAIN}"
    addresses = (f"SMTP:{mail}", *(f"smtp:{alias}" for alias in aliases))
    if x500:
        addresses += (f"X500:{EXCHANGE_DN}{x500}",)
    return Account(
        cn, STAFF_OU, sam, given, surname, mail, addresses, legacy_dn(sam), password, disabled
    )


def _ordinary_user(number: int) -> Account:
    first = FIRST_NAMES[(number - 1) % len(FIRST_NAMES)]
    last = LAST_NAMES[(number - 1) // len(FIRST_NAMES)]
    sam = f"user{number:04d}"
    return _mail_user(
        f"{first} {last}", sam, first, last, f"{first.lower()}.{last.lower()}",
        aliases=(f"{sam}@{MAIL_DOMAIN}",) if number % 3 == 0 else (),
        x500=sam if number % 5 == 0 else None,
    )


ORDINARY_USERS = tuple(_ordinary_user(n) for n in range(1, ORDINARY_USER_COUNT + 1))

ANNA = _mail_user(
    "Anna Schmidt", "anna.schmidt", "Anna", "Schmidt", "anna.schmidt",
    aliases=(f"a.schmidt@{MAIL_DOMAIN}", f"anna.schmidt@{DNS_DOMAIN}"), x500="aschmidt",
    password="Anna!Passw0rd-1",
)
JOERG = _mail_user(
    "Jörg Müller", "joerg.mueller", "Jörg", "Müller", "joerg.mueller",
    aliases=(f"j.mueller@{MAIL_DOMAIN}",), x500="jmueller", password="Joerg!Passw0rd-2",
)
CLAIRE = _mail_user(
    "Claire Dubois", "claire.dubois", "Claire", "Dubois", "claire.dubois",
    aliases=(f"c.dubois@{MAIL_DOMAIN}",),
)
DISABLED_USER = _mail_user(
    "Peter Altmann", "peter.altmann", "Peter", "Altmann", "peter.altmann", disabled=True
)
NON_MAIL_USER = Account("Scanner Service", STAFF_OU, "svc.scanner", "Scanner", "Service")
NAMED_USERS = (ANNA, JOERG, CLAIRE, DISABLED_USER, NON_MAIL_USER)
PASSWORDS = {user.sam: user.password for user in NAMED_USERS if user.password}


def _system_account(cn: str, sam: str, disabled: bool = True) -> Account:
    mail = f"{cn}@{MAIL_DOMAIN}"
    return Account(
        cn, USERS_CN, sam, mail=mail, proxy_addresses=(f"SMTP:{mail}",),
        legacy_exchange_dn=legacy_dn(sam), disabled=disabled,
    )


# Exchange's own mailboxes: mail-enabled accounts that are nobody's mailbox.
SYSTEM_ACCOUNTS = (
    _system_account("HealthMailbox0123456789abcdef", "HealthMailbox0123456", disabled=False),
    _system_account("SystemMailbox{1f05a927-89c0-4725-adca-4527114196a1}", "SM_abc123def456"),
    _system_account(
        "DiscoverySearchMailbox{D919BA05-46A6-415f-80AD-7E09334BB852}", "SM_d919ba0546a6415f8"
    ),
    _system_account("FederatedEmail.4c1f4d8b-8179-4148-93bf-00a95fa1e042", "SM_4c1f4d8b81794148a"),
    _system_account("Migration.8f3e7716-2011-43e4-96b1-aba62d229136", "SM_8f3e7716201143e49"),
)


def _contact(cn: str, given: str, surname: str, mail: str, alias: str) -> Account:
    return Account(
        cn, CONTACTS_OU, None, given, surname, mail,
        (f"SMTP:{mail}", f"X500:{EXCHANGE_DN}{alias}"), legacy_dn(alias), object_class="contact",
    )


CONTACTS = (
    _contact("Hans Berger (Partner)", "Hans", "Berger", "hans.berger@partner.example.org",
             "hans.berger-partner"),
    _contact("Sophie Martin (Client)", "Sophie", "Martin", "sophie.martin@client.example.net",
             "sophie.martin-client"),
)

SALES_MUNICH = Group(
    "Sales-Munich", "sales-munich",
    (ANNA.dn, JOERG.dn, *(user.dn for user in ORDINARY_USERS[:10])),
)
SALES = Group(
    "Sales", "sales", (SALES_MUNICH.dn, CLAIRE.dn, CONTACTS[0].dn),
    mail=f"sales@{MAIL_DOMAIN}",
    proxy_addresses=(f"SMTP:sales@{MAIL_DOMAIN}", f"smtp:vertrieb@{MAIL_DOMAIN}",
                     f"X500:{EXCHANGE_DN}sales"),
    legacy_exchange_dn=legacy_dn("sales"),
)
ALL_STAFF = Group(
    "All Staff", "all-staff",
    tuple(user.dn for user in (*ORDINARY_USERS, ANNA, JOERG, CLAIRE)),
    group_type=GROUP_GLOBAL_DISTRIBUTION,
    mail=f"all.staff@{MAIL_DOMAIN}", proxy_addresses=(f"SMTP:all.staff@{MAIL_DOMAIN}",),
    legacy_exchange_dn=legacy_dn("all-staff"),
)
GROUPS = (SALES_MUNICH, SALES, ALL_STAFF)  # members before the groups containing them

USERS = (*ORDINARY_USERS, *NAMED_USERS)  # people, not system accounts
MAIL_USERS = tuple(user for user in USERS if user.mail)


@dataclass(frozen=True)
class Entry:
    """One LDAP add: DN, structural object class, attributes, and a password to set."""

    dn: str
    object_class: str
    attributes: dict[str, list[str]] = field(default_factory=dict)
    password: str | None = None


def _account_entry(account: Account) -> Entry:
    values: dict[str, object] = {
        "sAMAccountName": account.sam,
        "givenName": account.given_name,
        "sn": account.surname,
        "displayName": account.cn,
        "mail": account.mail,
        "proxyAddresses": list(account.proxy_addresses),
        "legacyExchangeDN": account.legacy_exchange_dn,
    }
    if account.object_class == "user":
        values["userPrincipalName"] = f"{account.sam}@{DNS_DOMAIN}"
        values["userAccountControl"] = account.user_account_control
    return Entry(account.dn, account.object_class, _clean(values), account.password)


def _group_entry(group: Group) -> Entry:
    values: dict[str, object] = {
        "sAMAccountName": group.sam,
        "groupType": group.group_type,
        "member": list(group.members),
        "mail": group.mail,
        "proxyAddresses": list(group.proxy_addresses),
        "legacyExchangeDN": group.legacy_exchange_dn,
    }
    return Entry(group.dn, "group", _clean(values))


def _clean(values: dict[str, object]) -> dict[str, list[str]]:
    result = {}
    for name, value in values.items():
        if value in (None, []):
            continue
        result[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return result


ENTRIES: tuple[Entry, ...] = (
    Entry(STAFF_OU, "organizationalUnit"),
    Entry(GROUPS_OU, "organizationalUnit"),
    Entry(CONTACTS_OU, "organizationalUnit"),
    *(_account_entry(account) for account in (*USERS, *SYSTEM_ACCOUNTS, *CONTACTS)),
    *(_group_entry(group) for group in GROUPS),
)
