"""The manual's procedure as data: the wizard's steps in order, what each one needs first, and
the per-user Outlook checklist (steps 9 to 16)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    key: str
    numbers: str  # the manual's step numbers this wizard step covers
    title: str
    summary: str
    # Steps that must be done (or skipped) before this one can start, with the reason shown.
    requires: tuple[str, ...] = ()
    offline_only: bool = False
    # Things the admin confirms by hand, each recorded with who and when.
    confirmations: tuple[tuple[str, str], ...] = ()


STEPS: tuple[Step, ...] = (
    Step(
        "servers", "1", "Servers and preflight checks",
        "Exchange, the Intra2net server and the directory: addresses, TLS and logins, checked.",
    ),
    Step(
        "accounts", "2", "Accounts and groups",
        "Every user who moves gets an account on the Intra2net server; groups help sharing later.",
        requires=("servers",),
    ),
    Step(
        "aliases", "3", "E-mail aliases",
        "Each user's alias addresses from Active Directory go to Usermanager > Users : Addresses.",
        requires=("accounts",),
    ),
    Step(
        "freeze", "4", "Stop mail reception and Outlook",
        "No new mail, no OWA, nobody in Outlook: from now on nothing changes on Exchange.",
        requires=("aliases",), offline_only=True,
        confirmations=(
            ("reception_off", "Reception of new e-mail on Exchange is switched off."),
            ("owa_off", "Access through Outlook on the web (OWA) is switched off."),
            ("outlook_closed", "Every user has closed Outlook and been told not to open it."),
        ),
    ),
    Step(
        "backup", "5–6", "Backup of Exchange",
        "A full backup of all mail and groupware data, finished and copied to another server.",
        requires=("freeze",), offline_only=True,
        confirmations=(
            ("backup_made", "A backup of all e-mail and groupware data has been created."),
            ("backup_complete", "The backup has finished completely."),
            ("backup_copied", "The backup has been copied to another server."),
        ),
    ),
    Step(
        "imap", "7", "IMAP on Exchange",
        "IMAP access works for every selected user; mailbox sizes, quotas and the time plan.",
        requires=("accounts",),
    ),
    Step(
        "copy", "8", "Copy the mail",
        "Every mailbox copied from Exchange to the Intra2net server, and verified.",
        requires=("imap", "backup"),
    ),
    Step(
        "checklists", "9–16", "Outlook, user by user",
        "Groupware data exported, Groupware Client installed, new profile, import, addresses "
        "fixed.",
        requires=("copy",),
    ),
    Step(
        "shared_folders", "17", "Shared folders",
        "The public folders moved to shared folders on the Intra2net server.",
        requires=("copy",),
    ),
    Step(
        "exchange_off", "18", "Switch Exchange off",
        "Exchange disabled completely and permanently.",
        requires=("copy", "checklists", "shared_folders"),
        confirmations=(("exchange_disabled", "Exchange is switched off for good."),),
    ),
    Step(
        "mail_flow", "19", "Mail flow",
        "The Intra2net server sends and receives the organisation's mail.",
        requires=("exchange_off",),
    ),
)

STEP_BY_KEY = {step.key: step for step in STEPS}


@dataclass(frozen=True)
class ChecklistEntry:
    key: str
    manual_step: int
    text: str


# The manual's steps 9 to 15, done once per user at their PC (16 is "repeat for all users").
CHECKLIST: tuple[ChecklistEntry, ...] = (
    ChecklistEntry("open_outlook", 9, "Open the user's Outlook installation."),
    ChecklistEntry(
        "export", 10,
        "Export all groupware folders (calendar, contacts, tasks, notes) to a local Outlook data "
        "file with Import/Export.",
    ),
    ChecklistEntry("install_client", 11, "Install the Intra2net Groupware Client on the PC."),
    ChecklistEntry(
        "new_profile", 12,
        "Create a new Outlook profile for the Groupware Client (it cannot share the Exchange "
        "profile).",
    ),
    ChecklistEntry(
        "import", 13, "Import the groupware data from the local data file into the new profile."
    ),
    ChecklistEntry(
        "fix_contacts", 14,
        "Replace internal Exchange addresses of local users in the contacts with e-mail "
        "addresses.",
    ),
    ChecklistEntry(
        "fix_calendar", 15,
        "Replace internal Exchange addresses of participants in future appointments and open "
        "tasks with e-mail addresses.",
    ),
)

CHECKLIST_KEYS = tuple(entry.key for entry in CHECKLIST)
