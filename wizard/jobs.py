"""A background check's row: claimed by one worker, its results written when it ends."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from migrator.preflight import Check
from wizard.models import Job


class JobRefused(Exception):
    """The check can't run as set up; str() says what to do."""


def run(job_id: int, work: Callable[[Job], list[Check]]) -> str:
    """Claim the job, do the work, and store its checks or what went wrong."""
    job = claim(job_id)
    if job is None:
        return f"job {job_id}: not queued any more"
    try:
        checks = work(job)
    except JobRefused as e:
        return finish(job, [], str(e))
    except Exception:
        finish(job, [], gettext_noop("Unexpected error; see the worker's log."))
        raise
    return finish(job, checks)


def claim(job_id: int) -> Job | None:
    if not Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    ):
        return None
    return Job.objects.select_related("migration").get(pk=job_id)


def set_total(job: Job, total: int) -> None:
    Job.objects.filter(pk=job.pk).update(total=total)


def count_one(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(done=F("done") + 1)


def finish(job: Job, checks: list[Check], error: str = "") -> str:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED if error else Job.Status.DONE,
        finished_at=timezone.now(),
        checks=[check.to_json() for check in checks],
        error=error,
    )
    failed = sum(1 for check in checks if check.status == "fail")
    return f"{job.get_kind_display()}: {error or f'{len(checks)} checks, {failed} failed'}"
