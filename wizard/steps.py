"""The manual's procedure as data: the wizard's steps in order, what each one needs first, and
the per-user Outlook checklist (steps 9 to 16)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Step:
    key: str
    numbers: str  # the manual's step numbers this wizard step covers
    title: str
    summary: str
    # Steps that must be done (or skipped) before this one can start, with the reason shown.
    requires: tuple[str, ...] = ()
    offline_only: bool = False
    during_operation_only: bool = False  # skipped in an offline migration
    # Things the admin confirms by hand, each recorded with who and when.
    confirmations: tuple[tuple[str, str], ...] = ()


STEPS: tuple[Step, ...] = (
    Step(
        "servers", "1", _("Servers and preflight checks"),
        _("Exchange, the Intra2net server and the directory: addresses, TLS and logins, checked."),
    ),
    Step(
        "accounts", "2", _("Accounts and groups"),
        _("Every user who moves gets an account on the Intra2net server; groups help sharing "
          "later."),
        requires=("servers",),
    ),
    Step(
        "aliases", "3", _("E-mail aliases"),
        _("Each user's alias addresses from Active Directory go to Usermanager > Users : "
          "Addresses."),
        requires=("accounts",),
    ),
    Step(
        # Translators: the section of the manual's chapter; the German manual has it as 30.2.
        "routing", _("28.2"),
        _("Mail routing during the migration"),
        _("The Intra2net server receives all mail and forwards whole domains to Exchange; Exchange "
        "sends through it. Each user's mail moves over at their cutover."),
        requires=("servers",), during_operation_only=True,
        confirmations=(
            ("receives_all", _("The Intra2net server receives all incoming mail of the "
             "organisation's domains (MX records and firewall point at it).")),
            ("forwards_domains", _("The Intra2net server forwards every mail domain as a whole "
             "to Exchange (domain forwarding), so that users not moved yet get their mail.")),
            ("exchange_relays", _("Exchange sends outgoing mail through the Intra2net server "
             "(send connector with the Intra2net server as smart host).")),
            ("no_addresses", _("The users' accounts on the Intra2net server have no e-mail "
             "addresses yet: adding them is each user's switch, at their cutover.")),
        ),
    ),
    Step(
        "freeze", "4", _("Stop mail reception and Outlook"),
        _("No new mail, no OWA, nobody in Outlook: from now on nothing changes on Exchange."),
        requires=("aliases",), offline_only=True,
        confirmations=(
            ("reception_off", _("Reception of new e-mail on Exchange is switched off.")),
            ("owa_off", _("Access through Outlook on the web (OWA) is switched off.")),
            ("outlook_closed", _("Every user has closed Outlook and been told not to open it.")),
        ),
    ),
    Step(
        "backup", "5–6", _("Backup of Exchange"),
        _("A full backup of all mail and groupware data, finished and copied to another server."),
        requires=("freeze",), offline_only=True,
        confirmations=(
            ("backup_made", _("A backup of all e-mail and groupware data has been created.")),
            ("backup_complete", _("The backup has finished completely.")),
            ("backup_copied", _("The backup has been copied to another server.")),
        ),
    ),
    Step(
        "imap", "7", _("IMAP on Exchange"),
        _("IMAP access works for every selected user; mailbox sizes, quotas and the time plan."),
        requires=("accounts",),
    ),
    Step(
        "copy", "8", _("Copy the mail"),
        _("Every mailbox copied from Exchange to the Intra2net server, and verified."),
        requires=("imap", "backup"),
    ),
    Step(
        "checklists", "9–16", _("Outlook, user by user"),
        _("Groupware data exported, Groupware Client installed, new profile, import, addresses "
        "fixed."),
        requires=("copy",),
    ),
    Step(
        "shared_folders", "17", _("Shared folders"),
        _("The public folders moved to shared folders on the Intra2net server."),
        requires=("copy",),
    ),
    Step(
        "exchange_off", "18", _("Switch Exchange off"),
        _("Exchange disabled completely and permanently."),
        requires=("copy", "checklists", "shared_folders"),
        confirmations=(("exchange_disabled", _("Exchange is switched off for good.")),),
    ),
    Step(
        "mail_flow", "19", _("Mail flow"),
        _("The Intra2net server sends and receives the organisation's mail."),
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
    ChecklistEntry("open_outlook", 9, _("Open the user's Outlook installation.")),
    ChecklistEntry(
        "export", 10,
        _("Export all groupware folders (calendar, contacts, tasks, notes) to a local Outlook data "
          "file with Import/Export."),
    ),
    ChecklistEntry("install_client", 11, _("Install the Intra2net Groupware Client on the PC.")),
    ChecklistEntry(
        "new_profile", 12,
        _("Create a new Outlook profile for the Groupware Client (it cannot share the Exchange "
          "profile)."),
    ),
    ChecklistEntry(
        "import", 13,
        _("Import the groupware data from the local data file into the new profile."),
    ),
    ChecklistEntry(
        "fix_contacts", 14,
        _("Replace internal Exchange addresses of local users in the contacts with e-mail "
          "addresses."),
    ),
    ChecklistEntry(
        "fix_calendar", 15,
        _("Replace internal Exchange addresses of participants in future appointments and open "
          "tasks with e-mail addresses."),
    ),
)

CHECKLIST_KEYS = tuple(entry.key for entry in CHECKLIST)


@dataclass(frozen=True)
class CutoverEntry:
    key: str
    text: str
    by: str  # "admin": confirmed by an admin; "copy": recorded by the copy worker


# A user's cutover during operation, in the order that loses no mail: the copies bring over
# what reached Exchange until the user's mail goes to the Intra2net server, and nothing after
# that moment is copied over anything the user does there. Then their Outlook checklist opens.
CUTOVER: tuple[CutoverEntry, ...] = (
    CutoverEntry(
        "last_delta", _("A last delta copy, while the user still works in Outlook."), "copy"
    ),
    CutoverEntry(
        "outlook_closed",
        _("The user has closed Outlook (and Outlook on the web) and keeps it closed."),
        "admin",
    ),
    CutoverEntry(
        "routing",
        _("Add the user's e-mail addresses to their account on the Intra2net server "
          "(Usermanager > Users : Addresses): from then on their mail arrives there."),
        "admin",
    ),
    CutoverEntry(
        "final_delta",
        _("The final delta copy brings over what reached Exchange before the switch."),
        "copy",
    ),
    CutoverEntry(
        "verified", _("Verified: every folder on the Intra2net server matches Exchange."), "copy"
    ),
)

CUTOVER_KEYS = tuple(entry.key for entry in CUTOVER)
