"""The copy's pace over time: once a minute (Celery beat) the bytes copied so far of each
migration with copies running are written down; the dashboard's chart is the difference between
two samples."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from celery import shared_task
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from wizard import charts
from wizard.models import CopyRun, MailboxCopy, Migration, ThroughputSample

RUNNING = (MailboxCopy.State.COPYING, MailboxCopy.State.VERIFYING)
CHART_HOURS = 24
KEEP_DAYS = 7  # samples older than this are deleted: the chart shows the last day only
CHART_CACHE_SECONDS = 300


@shared_task
def record_throughput_samples() -> str:
    """One sample for every migration with a copy running now; the old ones go."""
    ThroughputSample.objects.filter(at__lt=timezone.now() - timedelta(days=KEEP_DAYS)).delete()
    migrations = Migration.objects.annotate(
        copying=Count("mailbox_users__copy", filter=Q(mailbox_users__copy__state__in=RUNNING))
    ).filter(copying__gt=0)
    samples = [sample_of(migration, migration.copying) for migration in migrations]
    return f"{len(samples)} throughput samples"


def sample_of(migration: Migration, copying: int) -> ThroughputSample:
    """Bytes copied by every finished run, plus what the running ones have copied so far."""
    finished = CopyRun.objects.filter(
        mailbox_user__migration=migration, finished_at__isnull=False
    ).aggregate(bytes=Coalesce(Sum("bytes_copied"), 0))["bytes"]
    running = MailboxCopy.objects.filter(
        mailbox_user__migration=migration, state__in=RUNNING
    ).aggregate(bytes=Coalesce(Sum("bytes_done"), 0))["bytes"]
    return ThroughputSample.objects.create(
        migration=migration, bytes_copied=finished + running, copying=copying
    )


def bytes_per_second(
    migration: Migration, now: datetime, hours: int = CHART_HOURS
) -> list[tuple[datetime, float]]:
    """(end of the interval, bytes per second) between consecutive samples of the last hours."""
    samples = list(
        ThroughputSample.objects.filter(
            migration=migration, at__gte=now - timedelta(hours=hours)
        ).values_list("at", "bytes_copied")
    )
    series = []
    for (before, copied_before), (at, copied) in pairwise(samples):
        seconds = (at - before).total_seconds()
        if seconds > 0:
            # A run that finished between two samples may count a little less: never negative.
            series.append((at, max(0, copied - copied_before) / seconds))
    return series


def recent_chart(migration: Migration, now: datetime) -> charts.LineChart | None:
    """The last day's chart. The page is polled every few seconds and samples come once a
    minute, so the chart is drawn again only when a new sample has come in."""
    newest = (
        ThroughputSample.objects.filter(migration=migration)
        .order_by("-at", "-id")
        .values_list("pk", "at", "bytes_copied")
        .first()
    )
    if newest is None:
        return None
    pk, at, copied = newest
    return cache.get_or_set(
        f"throughput-chart:{migration.pk}:{pk}:{at.timestamp()}:{copied}",
        lambda: charts.throughput_chart(bytes_per_second(migration, now)),
        CHART_CACHE_SECONDS,
    )
