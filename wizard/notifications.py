"""E-mail to the admins (accounts in the admin role with an address): when a user's copy fails
for good, when the whole copy is finished, and a summary every morning while copies run. Each
can be switched off per migration.

Mail goes out from Celery tasks, never from the copy's own code path, so that a slow or broken
mail server cannot hold up a copy; `copy_run_finished` is what wizard.copying calls. Each admin
gets it in the language chosen for their account, else in DEFAULT_LANGUAGE.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from wizard import copy_status
from wizard.models import CopyRun, MailboxCopy, MailboxUser, Migration, StepState
from wizard.roles import GROUP_NAMES, Role

logger = logging.getLogger(__name__)

State = MailboxCopy.State
# A copy with a mailbox in one of these states is not finished; paused ones wait for the admin.
NOT_FINISHED = (*copy_status.UNFINISHED, State.PAUSED)


def _admins():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=GROUP_NAMES[Role.ADMIN]))
        .exclude(email="")
    )


def admin_addresses() -> list[str]:
    """The e-mail addresses of active admin accounts (superusers count as admins)."""
    return sorted(set(_admins().values_list("email", flat=True)))


def admin_addresses_by_language() -> dict[str, list[str]]:
    """The admins' addresses grouped by the language of their accounts (DEFAULT_LANGUAGE for
    those that chose none); an address of two accounts goes with the first one's."""
    languages: dict[str, str] = {}
    for address, language in _admins().order_by("pk").values_list(
        "email", "preferences__language"
    ):
        languages.setdefault(address, language or settings.LANGUAGE_CODE)
    grouped: dict[str, list[str]] = {}
    for address in sorted(languages):
        grouped.setdefault(languages[address], []).append(address)
    return grouped


def copy_run_finished(run_id: int) -> None:
    """A copy run has ended: look in a task whether somebody needs to hear of it. Never
    raises; a broker that is down loses a notification, not the copy's result."""

    def enqueue() -> None:
        try:
            send_copy_notifications.delay(run_id)
        except Exception:
            logger.exception("Could not queue the notifications for copy run %s", run_id)

    transaction.on_commit(enqueue)


@shared_task
def send_copy_notifications(run_id: int) -> str:
    run = CopyRun.objects.select_related("mailbox_user__migration").filter(pk=run_id).first()
    if run is None:  # the user was removed meanwhile
        return f"copy run {run_id}: gone"
    migration = run.mailbox_user.migration
    sent = []
    if run.outcome == CopyRun.Outcome.FAILED and migration.notify_failures:
        sent += ["failure"] * bool(_mail(
            migration,
            lambda: gettext("The copy of %(user)s failed") % {"user": run.mailbox_user},
            "dashboard/mail/copy_failed.txt",
            {"run": run, "user": run.mailbox_user,
             "link": _link("mailbox_detail", migration.pk, run.mailbox_user_id)},
        ))
    if migration.notify_finished and claim_finished_notice(migration):
        totals = copy_status.totals_of(migration, timezone.now())
        sent += ["end of the copy"] * bool(_mail(
            migration,
            lambda: gettext("The copy is finished"),
            "dashboard/mail/copy_finished.txt",
            {"totals": totals, "link": _link("dashboard", migration.pk)},
        ))
    return f"copy run {run_id}: " + (" and ".join(sent) + " mailed" if sent else "nothing to tell")


def claim_finished_notice(migration: Migration) -> bool:
    """True, once, when no mailbox is left to copy: compare-and-set on `finished_notified_at`,
    since two copies may end at the same moment. A later run (a delta, a retry) that finishes
    makes the copy finished anew."""
    unfinished = MailboxUser.objects.filter(migration=migration, selected=True).filter(
        Q(copy__isnull=True) | Q(copy__state__in=NOT_FINISHED)
    )
    if unfinished.exists():
        return False
    last_start = CopyRun.objects.filter(mailbox_user__migration=migration).aggregate(
        at=Max("started_at")
    )["at"]
    if last_start is None:
        return False
    not_told = Q(finished_notified_at__isnull=True) | Q(finished_notified_at__lt=last_start)
    return bool(
        Migration.objects.filter(not_told, pk=migration.pk).update(
            finished_notified_at=timezone.now()
        )
    )


@shared_task
def send_daily_summaries() -> str:
    """Celery beat, once a day: a summary of every migration whose copy step is running."""
    sent = 0
    for migration in Migration.objects.filter(notify_daily=True):
        if is_copying(migration):
            totals = copy_status.totals_of(migration, timezone.now())
            sent += bool(_mail(
                migration,
                lambda totals=totals: gettext(
                    "Daily summary: %(done)d of %(users)d mailboxes copied"
                ) % {"done": totals.by_state.get(State.DONE, 0), "users": totals.users},
                "dashboard/mail/daily_summary.txt",
                {"totals": totals, "link": _link("dashboard", migration.pk)},
            ))
    return f"{sent} migrations summarized"


def is_copying(migration: Migration) -> bool:
    """The copy step has been started and not yet marked done."""
    return migration.step_states.filter(key="copy", status=StepState.Status.IN_PROGRESS).exists()


def _mail(
    migration: Migration, subject: Callable[[], str], template: str, context: dict
) -> list[str]:
    """One mail per language of the admins' accounts; `subject` says it in the active one."""
    recipients = []
    for language, addresses in admin_addresses_by_language().items():
        with translation.override(language):
            body = render_to_string(template, {"migration": migration, **context})
            send_mail(f"[{migration.name}] {subject()}", body, None, addresses)
        recipients += addresses
    return recipients


def _link(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)
