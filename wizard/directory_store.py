"""A directory snapshot written into the wizard's rows: matched by objectGUID, updated where the
directory changed, never duplicated, and never overwriting what the admin edited (such a
conflict is kept and reported instead)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from migrator.directory import DirectorySnapshot, DirectoryUser, EntriesRead
from migrator.text import say
from wizard.languages import supported_language
from wizard.models import (
    DirectoryContact,
    DirectoryGroup,
    DirectoryImport,
    LeftOutEntry,
    MailboxUser,
    Migration,
)

BATCH = 500
MAX_CHANGES = 2000  # listed one by one; the counts hold the rest

# The fields as the stored list of changes names them: English written with say(), shown in the
# reader's language by wizard.recorded. No single word ("name"): a value could be that word.
LABELS = {
    "sam": say("account name"), "upn": say("user principal name"),
    "display_name": say("display name"), "given_name": say("first name"),
    "surname": say("last name"), "primary_address": say("primary address"),
    "aliases": say("alias addresses"), "x500": say("X500 addresses"),
    "source_login": say("login on Exchange"), "target_login": say("login on the Intra2net server"),
    "mail": say("e-mail address"), "name": say("name in the directory"),
    "language": say("language of the sign-off link"),
}


def default_logins(user: DirectoryUser) -> dict[str, str]:
    """Exchange takes the UPN (or the account name); the Intra2net login is the account name
    in lower case, as its user manager writes names."""
    return {"source_login": user.upn or user.sam, "target_login": user.sam.lower()}


def directory_fields(user: DirectoryUser) -> dict:
    """What the directory says, in MailboxUser's field names; the language of the user's
    sign-off link from their preferredLanguage ("" for the organisation's default)."""
    return {
        "dn": user.dn, "sam": user.sam, "upn": user.upn, "display_name": user.display_name,
        "given_name": user.given_name, "surname": user.surname,
        "primary_address": user.primary or "", "aliases": list(user.aliases),
        "x500": list(user.x500), "disabled": user.disabled, **default_logins(user),
        "language": supported_language(user.preferred_language),
    }


@dataclass
class Changes:
    entries: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, subject: str, name: str, text: str = "") -> None:
        key = f"{subject}s_{kind}"
        self.counts[key] = self.counts.get(key, 0) + 1
        if len(self.entries) < MAX_CHANGES:
            self.entries.append({"kind": kind, "subject": subject, "name": name, "text": text})


def store_snapshot(migration: Migration, snapshot: DirectorySnapshot) -> Changes:
    """Write the snapshot; returns what changed (for the import's record)."""
    changes = Changes()
    with transaction.atomic():
        groups = _store_groups(migration, snapshot, changes)
        known_before = set(
            MailboxUser.objects.filter(migration=migration).values_list("id", flat=True)
        )
        users = _store_users(migration, snapshot, changes)
        _store_memberships(migration, snapshot, users, groups, changes, known_before)
        _store_contacts(migration, snapshot, changes)
        LeftOutEntry.objects.filter(migration=migration).delete()
        LeftOutEntry.objects.bulk_create(
            [LeftOutEntry(migration=migration, kind=e.kind, name=e.name, reason=e.reason, dn=e.dn)
             for e in snapshot.left_out],
            batch_size=BATCH,
        )
    changes.counts.update(
        users=len(snapshot.users), groups=len(snapshot.groups),
        contacts=len(snapshot.contacts), left_out=len(snapshot.left_out),
    )
    return changes


def _store_users(migration, snapshot, changes: Changes) -> dict[str, int]:
    """Users by guid -> row id."""
    existing = {u.guid: u for u in MailboxUser.objects.filter(migration=migration)}
    created, updated = [], []
    seen = set()
    for user in snapshot.users:
        seen.add(user.guid)
        values = directory_fields(user)
        row = existing.get(user.guid)
        if row is None:
            created.append(MailboxUser(
                migration=migration, guid=user.guid,
                selected=not user.disabled and bool(user.primary),
                directory_values={f: values[f] for f in MailboxUser.EDITABLE}, **values,
            ))
            changes.add("added", "user", user.sam)
            continue
        if _update_user(row, values, changes) or not row.in_directory:
            if not row.in_directory:
                changes.add("returned", "user", user.sam, gettext_noop("is back in the directory"))
            row.in_directory = True
            updated.append(row)
    for guid, row in existing.items():
        if guid not in seen and row.in_directory:
            row.in_directory = False
            updated.append(row)
            changes.add(
                "removed",
                "user",
                row.sam,
                gettext_noop("is no longer in the directory (kept here)"),
            )
    MailboxUser.objects.bulk_create(created, batch_size=BATCH)
    MailboxUser.objects.bulk_update(
        updated, [*directory_fields_names(), "in_directory", "directory_values"], batch_size=BATCH
    )
    return dict(MailboxUser.objects.filter(migration=migration).values_list("guid", "id"))


def directory_fields_names() -> list[str]:
    return ["dn", "sam", "upn", "display_name", "given_name", "surname", "primary_address",
            "aliases", "x500", "disabled", "source_login", "target_login", "language"]


def _update_user(row: MailboxUser, values: dict, changes: Changes) -> bool:
    """Apply the directory's values to one row; True when anything changed."""
    changed = False
    for name, new in values.items():
        if name in MailboxUser.EDITABLE:
            before = row.directory_values.get(name)
            if before != new:
                row.directory_values = {**row.directory_values, name: new}
                changed = True
            if name in row.edited_fields:
                if before != new and getattr(row, name) != new:
                    kept = say(
                        "{label}: kept your {mine}; the directory now says {theirs}",
                        label=LABELS[name], mine=_show(getattr(row, name)), theirs=_show(new),
                    )
                    changes.add("kept_edit", "user", row.sam, kept)
                continue
        old = getattr(row, name)
        if old != new:
            setattr(row, name, new)
            changed = True
            if name != "dn":
                changes.add("changed", "user", values["sam"], _changed(name, old, new))
    return changed


def _store_groups(migration, snapshot, changes: Changes) -> dict[str, int]:
    existing = {g.guid: g for g in DirectoryGroup.objects.filter(migration=migration)}
    created, updated, seen = [], [], set()
    for group in snapshot.groups:
        seen.add(group.guid)
        values = {"dn": group.dn, "name": group.name, "mail": group.mail or "",
                  "aliases": list(group.aliases), "x500": list(group.x500),
                  "subgroups": list(group.subgroups), "in_directory": True}
        row = existing.get(group.guid)
        if row is None:
            created.append(DirectoryGroup(migration=migration, guid=group.guid, **values))
            changes.add("added", "group", group.name)
        elif _assign(row, values, changes, "group", group.name):
            updated.append(row)
    for guid, row in existing.items():
        if guid not in seen and row.in_directory:
            row.in_directory = False
            updated.append(row)
            changes.add("removed", "group", row.name, gettext_noop("is no longer in the directory"))
    DirectoryGroup.objects.bulk_create(created, batch_size=BATCH)
    DirectoryGroup.objects.bulk_update(
        updated, ["dn", "name", "mail", "aliases", "x500", "subgroups", "in_directory"],
        batch_size=BATCH,
    )
    return dict(DirectoryGroup.objects.filter(migration=migration).values_list("guid", "id"))


def _store_contacts(migration, snapshot, changes: Changes) -> None:
    existing = {c.guid: c for c in DirectoryContact.objects.filter(migration=migration)}
    created, updated, seen = [], [], set()
    for contact in snapshot.contacts:
        seen.add(contact.guid)
        values = {"dn": contact.dn, "name": contact.name, "mail": contact.mail,
                  "x500": list(contact.x500), "in_directory": True}
        row = existing.get(contact.guid)
        if row is None:
            created.append(DirectoryContact(migration=migration, guid=contact.guid, **values))
            changes.add("added", "contact", contact.name)
        elif _assign(row, values, changes, "contact", contact.name):
            updated.append(row)
    for guid, row in existing.items():
        if guid not in seen and row.in_directory:
            row.in_directory = False
            updated.append(row)
            changes.add(
                "removed",
                "contact",
                row.name,
                gettext_noop("is no longer in the directory"),
            )
    DirectoryContact.objects.bulk_create(created, batch_size=BATCH)
    DirectoryContact.objects.bulk_update(
        updated, ["dn", "name", "mail", "x500", "in_directory"], batch_size=BATCH
    )


def _assign(row, values: dict, changes: Changes, subject: str, name: str) -> bool:
    changed = False
    for field_name, new in values.items():
        old = getattr(row, field_name)
        if old != new:
            setattr(row, field_name, new)
            changed = True
            if field_name in ("name", "mail", "aliases", "x500"):
                changes.add("changed", subject, name, _changed(field_name, old, new))
    return changed


def _store_memberships(migration, snapshot, users: dict, groups: dict, changes: Changes,
                       known_before: set[int]) -> None:
    """The users' (nested) memberships as the through table's rows. Changes are listed for
    users that were here before; a new user's groups are part of "added"."""
    through = MailboxUser.groups.through
    sam_to_guid = {user.sam: user.guid for user in snapshot.users}
    wanted = {
        (users[sam_to_guid[sam]], groups[group.guid])
        for group in snapshot.groups
        for sam in group.members
    }
    existing = set(
        through.objects.filter(mailboxuser__migration=migration)
        .values_list("mailboxuser_id", "directorygroup_id")
    )
    gone, new = existing - wanted, wanted - existing
    present = {users[user.guid] for user in snapshot.users}
    sams = dict(MailboxUser.objects.filter(migration=migration).values_list("id", "sam"))
    names = dict(DirectoryGroup.objects.filter(migration=migration).values_list("id", "name"))
    for user_id, group_id in sorted(new, key=lambda pair: (sams[pair[0]], names[pair[1]])):
        if user_id in known_before:
            changes.add("changed", "user", sams[user_id],
                        say("now in the group {group}", group=names[group_id]))
    for user_id, group_id in sorted(gone, key=lambda pair: (sams[pair[0]], names[pair[1]])):
        if user_id in present:
            changes.add("changed", "user", sams[user_id],
                        say("no longer in the group {group}", group=names[group_id]))
    by_group: dict[int, list[int]] = {}
    for user_id, group_id in gone:
        by_group.setdefault(group_id, []).append(user_id)
    for group_id, user_ids in by_group.items():
        through.objects.filter(directorygroup_id=group_id, mailboxuser_id__in=user_ids).delete()
    through.objects.bulk_create(
        [through(mailboxuser_id=u, directorygroup_id=g) for u, g in new], batch_size=BATCH
    )


def _changed(name: str, old, new) -> str:
    if name == "disabled" and new:
        return say("now disabled in the directory")
    if name == "disabled":
        return say("enabled in the directory again")
    return say("{label}: {old} → {new}", label=LABELS[name], old=_show(old), new=_show(new))


def _show(value) -> str:
    if isinstance(value, list):
        return ", ".join(value) if value else say("(none)")
    return f"“{value}”" if value else say("(empty)")


class ImportProgressRecorder:
    """The engine's progress sink for one import: writes the row at most once a second."""

    def __init__(self, import_id: int, interval: float = 1.0) -> None:
        self.import_id = import_id
        self.interval = interval
        self.last = 0.0

    def report(self, event: EntriesRead) -> None:
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        DirectoryImport.objects.filter(pk=self.import_id).update(
            phase=event.phase, entries_read=event.count
        )


def start_import(import_id: int) -> DirectoryImport | None:
    """Compare-and-set queued -> running: a second delivery of the task does nothing."""
    started = DirectoryImport.objects.filter(
        pk=import_id, status=DirectoryImport.Status.QUEUED
    ).update(status=DirectoryImport.Status.RUNNING, started_at=timezone.now())
    if not started:
        return None
    return DirectoryImport.objects.select_related("migration__directory").get(pk=import_id)


def finish_import(import_id: int, *, error: str = "", changes: Changes | None = None) -> None:
    status = DirectoryImport.Status.FAILED if error else DirectoryImport.Status.DONE
    DirectoryImport.objects.filter(pk=import_id).update(
        status=status, finished_at=timezone.now(), error=error, phase="",
        counts=changes.counts if changes else {}, changes=changes.entries if changes else [],
    )


def directory_json(migration: Migration) -> dict:
    """The migration's imported directory in the shape `importdirectory --json` prints (the
    parts the address map reads), with the admin's corrections: users (also those no longer in
    the directory: old files still name them), groups and contacts, each with its internal
    addresses. The lists are empty before the first import."""
    return {
        "users": [
            {"sam": u.sam, "display_name": u.display_name, "primary": u.primary_address,
             "x500": list(u.x500)}
            for u in MailboxUser.objects.filter(migration=migration).order_by("sam", "pk")
        ],
        "groups": [
            {"name": g.name, "mail": g.mail, "x500": list(g.x500)}
            for g in DirectoryGroup.objects.filter(migration=migration).order_by("name", "pk")
        ],
        "contacts": [
            {"name": c.name, "mail": c.mail, "x500": list(c.x500)}
            for c in DirectoryContact.objects.filter(migration=migration).order_by("name", "pk")
        ],
    }
