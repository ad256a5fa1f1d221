"""What the dashboard reads: one row per selected user with their copy's progress, the totals on
top, and whether the data is stale. A fixed number of queries whatever the number of users: rows
come with their copy joined and their checklist counted in a subquery; totals are one query
grouped by state, plus one for the few copies running now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from wizard import units
from wizard.cutover import phase_text
from wizard.models import ChecklistTick, MailboxCopy, MailboxUser, Migration
from wizard.recorded import recorded
from wizard.steps import CHECKLIST, CHECKLIST_KEYS

State = MailboxCopy.State
Phase = MailboxCopy.Phase
RUNNING = (State.COPYING, State.VERIFYING)
UNFINISHED = (State.WAITING, State.QUEUED, *RUNNING)
NEEDS_LOOK = (State.FAILED, State.NEEDS_ATTENTION)
# No progress written for this long while a copy runs: its worker is probably gone.
STALE_AFTER = timedelta(seconds=60)

# The order of the states on the page, and for sorting by state: what needs a look first.
STATE_ORDER = (
    State.FAILED,
    State.NEEDS_ATTENTION,
    State.COPYING,
    State.VERIFYING,
    State.QUEUED,
    State.PAUSED,
    State.WAITING,
    State.DONE,
)

# The states after a number of users in a sentence: "6 users: 5 done, 1 failed".
IN_A_SENTENCE = {
    State.FAILED: pgettext_lazy("after a number of users", "failed"),
    State.NEEDS_ATTENTION: pgettext_lazy("after a number of users", "needs attention"),
    State.COPYING: pgettext_lazy("after a number of users", "copying"),
    State.VERIFYING: pgettext_lazy("after a number of users", "verifying"),
    State.QUEUED: pgettext_lazy("after a number of users", "queued"),
    State.PAUSED: pgettext_lazy("after a number of users", "paused"),
    State.WAITING: pgettext_lazy("after a number of users", "waiting"),
    State.DONE: pgettext_lazy("after a number of users", "done"),
}

# Failed or incomplete, a message that failed, or an error on the way (a retried connection).
HAS_ERRORS = Q(copy__state__in=NEEDS_LOOK) | Q(copy__failed__gt=0) | Q(copy__last_error__gt="")


def _state_is(state: str) -> Q:
    # A selected user whose copy row does not exist yet is waiting too.
    if state == State.WAITING:
        return Q(copy__state=state) | Q(copy__isnull=True)
    return Q(copy__state=state)


def _move_label(phase_label) -> str:
    return gettext("Move: %(phase)s") % {"phase": phase_label}


# name -> (label, condition); waves come per migration (wave_filter).
FILTERS: dict[str, tuple[str, Q]] = {
    "all": (gettext_lazy("All users"), Q()),
    "errors": (gettext_lazy("With errors"), HAS_ERRORS),
    **{state.value: (state.label, _state_is(state)) for state in STATE_ORDER},
    # During operation, where each user stands in their move (wizard.cutover).
    **{
        f"phase-{phase.value}": (
            lazy(_move_label, str)(phase.label),
            Q(copy__phase=phase) | Q(copy__isnull=True) if phase == Phase.PLANNED
            else Q(copy__phase=phase),
        )
        for phase in Phase
    },
}

_STATE_RANK = Case(
    *(When(_state_is(state), then=Value(rank)) for rank, state in enumerate(STATE_ORDER)),
    default=Value(len(STATE_ORDER)),
    output_field=IntegerField(),
)
_PROGRESS = Case(
    When(copy__state=State.DONE, then=Value(1.0)),
    When(
        copy__messages_total__gt=0,
        then=Cast("copy__messages_done", FloatField()) / F("copy__messages_total"),
    ),
    default=Value(0.0),
    output_field=FloatField(),
)
_SIZE = Greatest(Coalesce("copy__bytes_total", 0), Coalesce("copy__source_bytes", 0))
# Messages to copy: as planned by the copy once it has looked, else as the IMAP check counted.
_PLANNED_MESSAGES = Case(
    When(copy__messages_total__gt=0, then=F("copy__messages_total")),
    default=Coalesce("copy__source_messages", 0),
)

# What a row shows: a user's names and their copy's progress; not the directory's lists nor the
# password (decrypting 5,000 of those for nothing would be most of a report's time).
COPY_FIELDS = (
    "id", "mailbox_user", "state", "current_folder", "messages_total", "messages_done",
    "bytes_total", "bytes_done", "source_messages", "source_bytes", "skipped", "failed",
    "retries", "started_at", "heartbeat_at", "finished_at", "verified", "last_error",
    "phase", "last_delta_at",
)
ROW_FIELDS = (
    "id", "migration_id", "sam", "display_name", "primary_address",
    *(f"copy__{name}" for name in COPY_FIELDS),
)
# What the pace and the staleness of a running copy are worked out from.
PACE_FIELDS = ("id", "state", "started_at", "heartbeat_at", "finished_at", "bytes_done")

# name -> what to sort by (then by account name); "-name" sorts the other way round.
SORTS = {
    "name": F("sam"),
    "state": _STATE_RANK,
    "progress": _PROGRESS,
    "size": _SIZE,
    "retries": Coalesce("copy__retries", 0),
    "started": F("copy__started_at"),
}


def wave_filter(wave) -> str:
    return f"wave-{wave.pk}"


def _condition(show: str) -> Q:
    """The users a filter keeps: a named one from FILTERS, or the users of one wave."""
    if show.startswith("wave-") and show[5:].isdigit():
        return Q(wave_id=int(show[5:]))
    return FILTERS.get(show, FILTERS["all"])[1]


def user_rows(
    migration: Migration, *, show: str = "all", query: str = "", sort: str = "state"
) -> QuerySet[MailboxUser]:
    """The selected users with their copy, filtered, searched and sorted, not yet paged."""
    users = (
        MailboxUser.objects.filter(migration=migration, selected=True)
        .filter(_condition(show))
        .select_related("copy")
        .only(*ROW_FIELDS)
        .annotate(ticked=_ticks_of_user())
    )
    if query:
        users = users.filter(
            Q(sam__icontains=query)
            | Q(display_name__icontains=query)
            | Q(primary_address__icontains=query)
            | Q(upn__icontains=query)
        )
    key = SORTS.get(sort.removeprefix("-"), SORTS["state"])
    first = key.desc(nulls_last=True) if sort.startswith("-") else key.asc(nulls_first=True)
    return users.order_by(first, "sam", "pk")


def _ticks_of_user() -> Subquery:
    ticks = (
        ChecklistTick.objects.filter(mailbox_user=OuterRef("pk"), key__in=CHECKLIST_KEYS)
        .order_by()
        .values("mailbox_user")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(ticks, output_field=IntegerField()), 0)


@dataclass(frozen=True)
class Row:
    """One user's line on the dashboard, with what is worked out from their copy's counters
    (each worked out once: the template asks for some of them several times)."""

    user: MailboxUser | None  # None for the totals' look at the running copies
    copy: MailboxCopy | None
    now: datetime

    @cached_property
    def state(self) -> str:
        return self.copy.state if self.copy else State.WAITING

    @cached_property
    def state_label(self) -> str:
        return State(self.state).label

    @cached_property
    def running(self) -> bool:
        return self.state in RUNNING

    @cached_property
    def phase(self) -> str:
        """Where the user stands in a move during operation (wizard.cutover)."""
        return self.copy.phase if self.copy else Phase.PLANNED

    @cached_property
    def phase_label(self) -> str:
        return phase_text(self.copy)

    @cached_property
    def messages_total(self) -> int:
        if not self.copy:
            return 0
        return self.copy.messages_total or self.copy.source_messages or 0

    @cached_property
    def messages_done(self) -> int:
        return self.copy.messages_done if self.copy else 0

    @cached_property
    def bytes_total(self) -> int:
        if not self.copy:
            return 0
        return max(self.copy.bytes_total, self.copy.source_bytes or 0)

    @cached_property
    def bytes_done(self) -> int:
        """Bytes on the target: all of them once done (a delta run counts only what it added)."""
        if not self.copy:
            return 0
        return self.copy.bytes_total if self.state == State.DONE else self.copy.bytes_done

    @cached_property
    def fraction(self) -> float:
        if self.state == State.DONE:
            return 1.0
        if not self.messages_total:
            return 0.0
        return min(1.0, self.messages_done / self.messages_total)

    @cached_property
    def percent(self) -> int:
        return int(self.fraction * 100)

    @cached_property
    def elapsed(self) -> timedelta | None:
        if not self.copy or not self.copy.started_at:
            return None
        end = self.now if self.running else self.copy.finished_at
        return (end - self.copy.started_at) if end else None

    @cached_property
    def bytes_per_second(self) -> float | None:
        """Of the current run, or of the last one once it has finished."""
        elapsed = self.elapsed
        if elapsed is None or elapsed.total_seconds() < 1 or not self.copy.bytes_done:
            return None
        return self.copy.bytes_done / elapsed.total_seconds()

    @cached_property
    def eta(self) -> timedelta | None:
        """The rest at the pace so far, by messages (bytes are only known folder by folder)."""
        elapsed, done = self.elapsed, self.fraction
        if not self.running or elapsed is None or not 0 < done < 1:
            return None
        return timedelta(seconds=round(elapsed.total_seconds() * (1 - done) / done))

    @cached_property
    def stale(self) -> bool:
        heartbeat = self.copy.heartbeat_at if self.copy else None
        return self.running and (heartbeat is None or self.now - heartbeat > STALE_AFTER)

    @cached_property
    def error(self) -> str:
        if not (self.copy and self.copy.last_error):
            return ""
        return first_sentence(recorded(self.copy.last_error))

    # --- the row's cells as text: much cheaper here than in template filters, 50 rows a poll

    @cached_property
    def name(self) -> str:
        return self.user.display_name or self.user.sam

    @cached_property
    def address(self) -> str:
        return self.user.primary_address or self.user.sam

    @cached_property
    def folder(self) -> str:
        return (self.copy.current_folder if self.copy else "") or units.NOTHING

    @cached_property
    def amounts(self) -> str:
        """"21 of 22 msgs · 426.8 KB of 2.4 MB", or "" while nothing is known."""
        if not (self.messages_total or self.bytes_total):
            return ""
        return units.amounts_text(
            self.messages_done, self.messages_total, self.bytes_done, self.bytes_total
        )

    @cached_property
    def pace(self) -> str:
        return units.rate_text(self.bytes_per_second)

    @cached_property
    def eta_text(self) -> str:
        return units.duration_text(self.eta)

    @cached_property
    def retries(self) -> int:
        return self.copy.retries if self.copy else 0

    @cached_property
    def last_error(self) -> str:
        return recorded(self.copy.last_error) if self.copy and self.copy.last_error else ""

    @cached_property
    def retryable(self) -> bool:
        """Failed or incomplete: the row offers the admin a retry."""
        return self.state in NEEDS_LOOK

    @cached_property
    def checklist_ticked(self) -> int:
        return getattr(self.user, "ticked", 0)

    @cached_property
    def checklist_total(self) -> int:
        return len(CHECKLIST)


def rows_of(users, now: datetime) -> list[Row]:
    """Rows for users from `user_rows` (their copy is joined already)."""
    return [Row(user, copy_of(user), now) for user in users]


def copy_of(user: MailboxUser) -> MailboxCopy | None:
    try:
        return user.copy
    except MailboxCopy.DoesNotExist:
        return None


def first_sentence(text: str, limit: int = 160) -> str:
    """The first sentence of an error, for a table cell; the full text goes in a tooltip."""
    text = " ".join(text.split())
    for end in (". ", "; ", ": "):
        head, found, _ = text.partition(end)
        if found and len(head) >= 12:
            text = head + ("." if end == ". " else "")
            break
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Totals:
    """The numbers on top of the dashboard, and what says the data may be stale."""

    users: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    with_errors: int = 0
    messages_done: int = 0
    messages_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    bytes_per_second: float | None = None
    eta: timedelta | None = None
    last_heard: datetime | None = None
    stale_copies: int = 0
    unclaimed_for: timedelta | None = None
    paused: bool = False

    @property
    def states(self) -> list[tuple[str, str, int]]:
        """(state, label, users) in the page's order, with those that have users."""
        return [(s.value, s.label, self.by_state.get(s, 0)) for s in STATE_ORDER]

    @property
    def states_in_words(self) -> list[tuple[int, str]]:
        """(users, the state in a sentence) of the states that have users, in the page's order."""
        return [(self.by_state[s], IN_A_SENTENCE[s]) for s in STATE_ORDER if self.by_state.get(s)]

    @property
    def running(self) -> int:
        return sum(self.by_state.get(s, 0) for s in RUNNING)

    @property
    def percent(self) -> int:
        return int(100 * self.messages_done / self.messages_total) if self.messages_total else 0

    @property
    def stale(self) -> bool:
        return bool(self.stale_copies or self.unclaimed_for)


def totals_of(migration: Migration, now: datetime) -> Totals:
    """Users per state, work done of total, the overall pace and the staleness: two queries
    (three when copies wait for a worker)."""
    per_state = (
        MailboxUser.objects.filter(migration=migration, selected=True)
        .values("copy__state")
        .order_by()
        .annotate(
            users=Count("id"),
            with_errors=Count("id", filter=HAS_ERRORS),
            messages_done=Coalesce(Sum("copy__messages_done"), 0),
            messages_total=Coalesce(Sum(_PLANNED_MESSAGES), 0),
            bytes_done=Coalesce(Sum("copy__bytes_done"), 0),
            bytes_total=Coalesce(Sum(_SIZE), 0),
            last_heard=Max("copy__heartbeat_at"),
        )
    )
    totals = Totals(paused=migration.copy_paused, by_state=dict.fromkeys(STATE_ORDER, 0))
    for group in per_state:
        # A user without a copy row yet waits; a done copy has all its bytes on the target
        # (a delta run's counter holds only what that run added).
        state = group["copy__state"] or State.WAITING
        totals.by_state[State(state)] += group["users"]
        totals.users += group["users"]
        totals.with_errors += group["with_errors"]
        totals.messages_done += group["messages_done"]
        totals.messages_total += group["messages_total"]
        totals.bytes_total += group["bytes_total"]
        totals.bytes_done += group["bytes_total" if state == State.DONE else "bytes_done"]
        heard = group["last_heard"]
        if heard and (totals.last_heard is None or heard > totals.last_heard):
            totals.last_heard = heard
    # Only the mailboxes being copied: at most a few dozen rows, whatever the number of users.
    running = [
        Row(None, copy, now)
        for copy in MailboxCopy.objects.filter(
            mailbox_user__migration=migration, state__in=RUNNING
        ).only(*PACE_FIELDS)
    ]
    totals.stale_copies = sum(row.stale for row in running)
    rates = [row.bytes_per_second for row in running if row.bytes_per_second]
    if rates:
        totals.bytes_per_second = sum(rates)
        remaining = max(0, totals.bytes_total - totals.bytes_done)
        totals.eta = timedelta(seconds=round(remaining / totals.bytes_per_second))
    totals.unclaimed_for = _unclaimed_for(migration, totals, now)
    return totals


def _unclaimed_for(migration: Migration, totals: Totals, now: datetime) -> timedelta | None:
    """How long copies have been queued with no worker taking one, when that is too long."""
    if not totals.by_state.get(State.QUEUED) or totals.running or migration.copy_paused:
        return None
    last_action = migration.audit.values_list("at", flat=True).first()
    heard = max((t for t in (totals.last_heard, last_action) if t), default=None)
    if heard is None or now - heard > STALE_AFTER:
        return now - heard if heard else STALE_AFTER
    return None
