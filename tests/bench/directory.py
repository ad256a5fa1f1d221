"""Directory import benchmark: 2,000 users with their groups, end to end, against a local Samba.

The Samba is a copy of its own, seeded like the tests' directory plus enough users in
OU=Bench (and 60 groups, some nested) to make 2,000; the harness caches that seeded template,
so only the first run pays for seeding. Two figures: the engine alone (paged LDAP searches,
nested groups resolved) and end to end (the engine plus writing every row into a throwaway
database, which is what the Celery task does). Target: under 15 s.

    python -m tests.bench.directory      (`make bench` calls main())
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from migrator.directory import ImportOptions, import_directory
from migrator.directory_session import DirectoryBind, parse_ldap_url
from tests.servers import directory_seed as seed
from tests.servers.directory_seed import Entry

USERS = 2000
GROUPS = 60
TARGET_SECONDS = 15.0
BENCH_OU = f"OU=Bench,{seed.BASE_DN}"


def main() -> bool:
    """Start the bench directory, import it twice, print the figures; False when too slow."""
    from tests.servers.samba import start_samba

    entries = bench_entries()
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="bench-directory-") as folder,
        start_samba(Path(folder), seed=entries) as server,
    ):
        print(
            f"directory: Samba with {USERS} users up in {time.monotonic() - started:.1f} s "
            "(seeded once, then cached)"
        )
        endpoint = parse_ldap_url(
            server.ldaps_url, ca_file=str(server.ca_file), tls_name=server.tls_name
        )
        bind = DirectoryBind(server.admin_bind, server.admin_password)
        options = ImportOptions(base_dn=server.base_dn)

        started = time.monotonic()
        snapshot = import_directory(endpoint, bind, options=options)
        engine = time.monotonic() - started
        print(
            f"directory: engine read {len(snapshot.users)} users, {len(snapshot.groups)} "
            f"groups, {len(snapshot.contacts)} contacts in {engine:.2f} s "
            f"({snapshot.pages} pages)"
        )

        seconds, stored = end_to_end(endpoint, bind, options)
        verdict = "ok" if seconds < TARGET_SECONDS else "TOO SLOW"
        print(
            f"directory: end to end (LDAP + database) {stored} users with their groups in "
            f"{seconds:.2f} s [target < {TARGET_SECONDS:.0f} s: {verdict}]"
        )
        return seconds < TARGET_SECONDS


def bench_entries() -> tuple[Entry, ...]:
    """The test directory plus users (and groups, every tenth nested) up to USERS people."""
    count = USERS - len(seed.USERS) - 1  # the built-in Administrator counts too
    names = [f"bench{i:05d}" for i in range(count)]
    users = tuple(
        Entry(
            f"CN={name},{BENCH_OU}",
            "user",
            {
                "sAMAccountName": [name],
                "userPrincipalName": [f"{name}@{seed.DNS_DOMAIN}"],
                "displayName": [f"Bench {name}"],
                "givenName": ["Bench"],
                "sn": [name],
                "mail": [f"{name}@{seed.MAIL_DOMAIN}"],
                "proxyAddresses": [
                    f"SMTP:{name}@{seed.MAIL_DOMAIN}",
                    f"smtp:{name}.b@{seed.MAIL_DOMAIN}",
                    f"X500:{seed.EXCHANGE_DN}{name}-old",
                ],
                "legacyExchangeDN": [seed.legacy_dn(name)],
                "userAccountControl": [str(seed.UAC_NORMAL | seed.UAC_PASSWD_NOTREQD)],
            },
        )
        for name in names
    )
    groups = []
    for g in reversed(range(GROUPS)):  # inner groups first: a member must exist
        members = [f"CN={n},{BENCH_OU}" for n in names[g::GROUPS]]
        if g % 10 == 0 and g + 10 < GROUPS:
            members.append(f"CN=Bench Group {g + 10:02d},{BENCH_OU}")
        groups.append(
            Entry(
                f"CN=Bench Group {g:02d},{BENCH_OU}",
                "group",
                {
                    "sAMAccountName": [f"bench-group-{g:02d}"],
                    "member": members,
                    "mail": [f"bench-group-{g:02d}@{seed.MAIL_DOMAIN}"],
                },
            )
        )
    return (*seed.ENTRIES, Entry(BENCH_OU, "organizationalUnit"), *users, *groups)


def end_to_end(endpoint, bind, options) -> tuple[float, int]:
    """Import into a throwaway database, as the Celery task does; returns (seconds, users)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wizard.settings")
    import django

    django.setup()
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    from wizard.directory_store import store_snapshot
    from wizard.models import MailboxUser, Migration

    # A database of its own, never the one a test run may be using at the same time.
    database = connections.databases["default"]
    if database["ENGINE"].endswith("sqlite3"):
        folder = tempfile.mkdtemp(prefix="bench-directory-db-")
        database["TEST"]["NAME"] = str(Path(folder) / "bench.sqlite3")
    else:
        database["TEST"]["NAME"] = "bench_directory"
    databases = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    try:
        migration = Migration.objects.create(name="bench")
        started = time.monotonic()
        store_snapshot(migration, import_directory(endpoint, bind, options=options))
        seconds = time.monotonic() - started
        return seconds, MailboxUser.objects.filter(migration=migration).count()
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
