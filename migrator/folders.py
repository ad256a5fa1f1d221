"""The folders of a mailbox: listing them, and planning where each source folder goes.

Names are handled decoded (imapclient encodes and decodes modified UTF-7). A plan translates
the hierarchy separator, keeps INBOX as INBOX, maps Exchange's special folders onto the
target's (SPECIAL-USE first, localised names and configurable defaults otherwise), leaves out
Exchange's non-mail folders, shared namespaces and user exclusions with a reason, applies
user rename rules, and reports every name it had to change. With `FolderRules.only` it copies
just the folders named there, to the names given (public folders into shared folders).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import imapclient

from migrator.text import say

SPECIAL_USES = ("\\Sent", "\\Trash", "\\Drafts", "\\Junk", "\\Archive")

# Exchange's special folders by the names its localised mailboxes give them (casefolded).
SPECIAL_NAMES = {
    "\\Sent": ("sent items", "gesendete elemente", "gesendete objekte", "éléments envoyés", "sent"),
    "\\Trash": (
        "deleted items",
        "gelöschte elemente",
        "gelöschte objekte",
        "éléments supprimés",
        "trash",
    ),
    "\\Drafts": ("drafts", "entwürfe", "brouillons"),
    "\\Junk": ("junk email", "junk e-mail", "junk-e-mail", "courrier indésirable", "spam"),
    "\\Archive": ("archive", "archiv"),
}

# Folders Exchange shows over IMAP that hold no mail, by what they hold (names casefolded,
# matched exactly at the top level; their subfolders go with them), with the reason said for
# them in a report.
NON_MAIL_FOLDERS = {
    say("Holds calendar items, not mail."): ("calendar", "kalender", "calendrier"),
    say("Holds contacts, not mail."): (
        "contacts",
        "kontakte",
        "suggested contacts",
        "vorgeschlagene kontakte",
    ),
    say("Holds tasks, not mail."): ("tasks", "aufgaben", "tâches"),
    say("Holds notes, not mail."): ("notes", "notizen"),
    say("Holds journal entries, not mail."): ("journal",),
    say("Holds instant messaging history, not mail."): (
        "conversation history",
        "unterhaltungsverlauf",
    ),
    say("Holds RSS feeds, not mail."): (
        "rss feeds",
        "rss subscriptions",
        "rss-feeds",
        "rss-abonnements",
        "flux rss",
    ),
    say("Holds synchronisation logs, not mail."): (
        "sync issues",
        "synchronisierungsprobleme",
        "problèmes de synchronisation",
    ),
    say("Holds unsent outgoing mail, not mail to copy."): (
        "outbox",
        "postausgang",
        "boîte d'envoi",
    ),
    say(
        "Holds public folders, which are shared through Outlook and not copied into each mailbox."
    ): (
        "public folders",
        "öffentliche ordner",
        "dossiers publics",
    ),
}
_NON_MAIL_BY_NAME = {name: why for why, names in NON_MAIL_FOLDERS.items() for name in names}
_SPECIAL_BY_NAME = {name: use for use, names in SPECIAL_NAMES.items() for name in names}


@dataclass(frozen=True)
class SpecialFolderNames:
    """Target folder names for special folders when the target marks none with SPECIAL-USE."""

    sent: str = "Sent"
    trash: str = "Trash"
    drafts: str = "Drafts"
    junk: str = "Spam"
    archive: str = "Archive"

    def for_use(self, use: str) -> str:
        return getattr(self, use.lstrip("\\").lower())


@dataclass(frozen=True)
class FolderRules:
    """How source folders become target folders; regular expressions match the source name as
    the source shows it (decoded, with the source's separator)."""

    exclude: tuple[str, ...] = ()
    rename: tuple[tuple[str, str], ...] = ()  # (pattern, replacement); subfolders follow
    special_names: SpecialFolderNames = field(default_factory=SpecialFolderNames)
    skip_non_mail: bool = True
    separator_replacement: str = "_"
    # When given, only these source folders are copied, each to exactly the target name given:
    # no personal prefix, no special folders, and also out of a shared namespace. For public
    # folders an admin chose, copied into shared folders on the target (never per user).
    only: tuple[tuple[str, str], ...] = ()  # (source name, target name)


@dataclass(frozen=True)
class ListedFolder:
    name: str
    flags: frozenset[str]

    @property
    def selectable(self) -> bool:
        return not self.flags & {"\\noselect", "\\nonexistent"}

    @property
    def special_use(self) -> str | None:
        return next((use for use in SPECIAL_USES if use.lower() in self.flags), None)


@dataclass(frozen=True)
class FolderListing:
    """A server's folder tree as one user sees it."""

    separator: str
    personal_prefix: str
    other_prefixes: tuple[str, ...]
    folders: tuple[ListedFolder, ...]

    def names(self) -> set[str]:
        return {f.name for f in self.folders}

    def with_special_use(self, use: str) -> str | None:
        return next((f.name for f in self.folders if f.special_use == use), None)


@dataclass(frozen=True)
class FolderPlan:
    source: str
    target: str | None  # None when left out
    selectable: bool = True
    excluded_because: str = ""
    notes: tuple[str, ...] = ()  # names changed on the way, said plainly
    # The SPECIAL-USE to create the target folder with, when the target has none for it yet.
    create_as: str | None = None

    @property
    def excluded(self) -> bool:
        return self.target is None


def list_folders(client: imapclient.IMAPClient) -> FolderListing:
    """LIST every folder (SPECIAL-USE attributes come with it where the server has them)."""
    separator, prefix, others = "/", "", []
    if client.has_capability("NAMESPACE"):
        namespaces = client.namespace()
        if namespaces.personal:
            prefix, separator = namespaces.personal[0]
        for group in (namespaces.other, namespaces.shared):
            others.extend(p for p, _sep in group or () if p)
    folders = []
    for flags, delimiter, name in client.list_folders():
        if delimiter:
            separator = delimiter.decode() if isinstance(delimiter, bytes) else delimiter
        folders.append(ListedFolder(name, frozenset(_text(f).lower() for f in flags)))
    return FolderListing(separator or "/", prefix or "", tuple(others), tuple(folders))


def plan_folders(
    source: FolderListing, target: FolderListing, rules: FolderRules
) -> list[FolderPlan]:
    """Where every source folder goes; INBOX and special folders first, so they keep their
    names when another folder would land on the same target name."""
    plans: list[FolderPlan] = []
    taken: dict[str, str] = {}  # target name (INBOX casefolded) -> source name
    chosen = dict(rules.only)
    for folder in sorted(source.folders, key=lambda f: _planning_order(f, source)):
        if chosen:
            plans.append(_chosen_plan(folder, chosen, taken))
            continue
        components = _components(folder.name, source)
        reason = _exclusion(folder, components, source, rules)
        if reason:
            plans.append(FolderPlan(folder.name, None, folder.selectable, reason))
            continue
        notes: list[str] = []
        renamed = _apply_renames(folder.name, source.separator, rules.rename)
        if renamed is not None:
            components = _components(renamed, source)
            root = None
        else:
            root = _special_root(folder, components, source, target, rules.special_names)
        target_name = _target_name(components, root, target, rules.separator_replacement, notes)
        target_name = _unique(target_name, folder.name, taken, notes)
        use = _source_special_use(folder, components) if root and len(components) == 1 else None
        create_as = use if use and target.with_special_use(use) is None else None
        plans.append(
            FolderPlan(folder.name, target_name, folder.selectable, "", tuple(notes), create_as)
        )
    return plans


def _chosen_plan(folder: ListedFolder, chosen: dict[str, str], taken: dict[str, str]) -> FolderPlan:
    """A folder under `FolderRules.only`: to its given name, or left out."""
    target = chosen.get(folder.name)
    if target is None:
        return FolderPlan(
            folder.name, None, folder.selectable, say("Not among the chosen folders.")
        )
    notes: list[str] = []
    target = _unique(target, folder.name, taken, notes)
    return FolderPlan(folder.name, target, folder.selectable, "", tuple(notes))


def parents_first(names: Iterable[str], listing: FolderListing) -> list[str]:
    """Every target folder to create, with the ancestors it needs, parents before children."""
    wanted: set[str] = set()
    sep, prefix = listing.separator, listing.personal_prefix
    for name in names:
        if name.upper() == "INBOX":
            continue
        inner = name[len(prefix) :] if prefix and name.startswith(prefix) else name
        head = prefix if prefix and name.startswith(prefix) else ""
        parts = inner.split(sep)
        for depth in range(1, len(parts) + 1):
            wanted.add(head + sep.join(parts[:depth]))
    return sorted(wanted, key=lambda n: (n.count(sep), n))


def _planning_order(folder: ListedFolder, listing: FolderListing) -> tuple[int, str]:
    components = _components(folder.name, listing)
    if components[0].upper() == "INBOX":
        rank = 0
    elif len(components) == 1 and _source_special_use(folder, components) is not None:
        rank = 1
    else:
        rank = 2
    return rank, folder.name


def _components(name: str, listing: FolderListing) -> list[str]:
    prefix = listing.personal_prefix
    if prefix and name.startswith(prefix) and name != prefix:
        name = name[len(prefix) :]
    return name.split(listing.separator) if listing.separator else [name]


def _exclusion(
    folder: ListedFolder, components: list[str], source: FolderListing, rules: FolderRules
) -> str:
    for prefix in source.other_prefixes:
        if folder.name.startswith(prefix) or folder.name + source.separator == prefix:
            return say(
                "In the shared namespace {namespace}, not part of this user's mailbox.",
                namespace=repr(prefix),
            )
    if rules.skip_non_mail and folder.special_use is None:
        reason = _NON_MAIL_BY_NAME.get(components[0].casefold())
        if reason:
            return reason
    for pattern in rules.exclude:
        if re.search(pattern, folder.name):
            return say("Excluded by the rule {pattern}.", pattern=repr(pattern))
    return ""


def _apply_renames(name: str, separator: str, rules: tuple[tuple[str, str], ...]) -> str | None:
    """The first rule that matches the whole name, or the name of an ancestor (then the
    subfolder follows its parent)."""
    parts = name.split(separator)
    for pattern, replacement in rules:
        for depth in range(len(parts), 0, -1):
            head = separator.join(parts[:depth])
            match = re.fullmatch(pattern, head)
            if match:
                return separator.join([match.expand(replacement), *parts[depth:]])
    return None


def _source_special_use(folder: ListedFolder, components: list[str]) -> str | None:
    if folder.special_use:
        return folder.special_use
    if len(components) == 1:
        return _SPECIAL_BY_NAME.get(components[0].casefold())
    return None


def _special_root(
    folder: ListedFolder,
    components: list[str],
    source: FolderListing,
    target: FolderListing,
    names: SpecialFolderNames,
) -> str | None:
    """The target name that replaces the first component: INBOX, or a special folder."""
    if components[0].upper() == "INBOX":
        return "INBOX"
    top = folder if len(components) == 1 else _top_level(components[0], source)
    use = _source_special_use(top, [components[0]])
    if use is None:
        return None
    return target.with_special_use(use) or target.personal_prefix + names.for_use(use)


def _top_level(name: str, listing: FolderListing) -> ListedFolder:
    full = listing.personal_prefix + name
    return next((f for f in listing.folders if f.name == full), ListedFolder(full, frozenset()))


def _target_name(
    components: list[str],
    root: str | None,
    target: FolderListing,
    replacement: str,
    notes: list[str],
) -> str:
    sep = target.separator
    clean = []
    for part in components[1:] if root else components:
        if sep in part:
            fixed = part.replace(sep, replacement)
            notes.append(
                say(
                    "The name {name} holds the target's separator {separator}: it becomes "
                    "{fixed} there.",
                    name=repr(part),
                    separator=repr(sep),
                    fixed=repr(fixed),
                )
            )
            part = fixed
        clean.append(part)
    if root is None:
        first, *rest = clean
        if first.upper() == "INBOX":
            root, clean = "INBOX", rest
        else:
            return target.personal_prefix + sep.join(clean)
    return sep.join([root, *clean])


def _unique(name: str, source: str, taken: dict[str, str], notes: list[str]) -> str:
    candidate, n = name, 1
    while _folded(candidate) in taken:
        n += 1
        candidate = f"{name} ({n})"
    if candidate != name:
        notes.append(
            say(
                "The name {name} is taken by {other} already: it becomes {candidate} there.",
                name=repr(name),
                other=repr(taken[_folded(name)]),
                candidate=repr(candidate),
            )
        )
    taken[_folded(candidate)] = source
    return candidate


def _folded(name: str) -> str:
    return "INBOX" if name.upper() == "INBOX" else name


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
