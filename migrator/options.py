"""How a mailbox is copied: the options of `copy_mailbox`, with defaults that suit a first copy
from Exchange to the Intra2net server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from migrator.folders import FolderRules


@dataclass(frozen=True)
class CopyOptions:
    folder_rules: FolderRules = field(default_factory=FolderRules)
    max_message_bytes: int | None = None  # larger messages are skipped and reported
    dry_run: bool = False  # plan and count, write nothing
    repair: bool = False  # encode 8-bit header bytes, drop NULs, fix line ends
    skip_deleted: bool = True  # messages flagged \Deleted on the source stay behind
    # A delta sync before the user's cutover mirrors flag changes onto messages already on
    # the target; after the cutover the user works there and their flags must stay alone.
    sync_flags_of_existing: bool = False
    # Also before the cutover (migrator.reconcile): a message the user moved to another folder
    # on the source is moved on the target too, not copied a second time; what the user deleted
    # on the source since an earlier copy is reported, and removed from the target only with
    # `remove_deleted`. Never after the cutover: the user's own changes live on the target then.
    follow_moves: bool = False
    report_deleted: bool = False
    remove_deleted: bool = False
    # The folders earlier copies of this mailbox copied into, (source folder, target folder),
    # as the caller kept them. With `follow_moves`, a target folder here whose source folder is
    # gone (renamed or deleted by the user) is reconciled too: its messages follow the user's
    # move, what is left is treated as deleted, and the emptied folder goes with
    # `remove_deleted`. Target folders not named here are never touched.
    earlier_folders: tuple[tuple[str, str], ...] = ()
    # After the cutover: only source messages with an internal date from this moment on are
    # copied, so that what the user has moved or deleted on the target does not come back.
    only_since: datetime | None = None
    # Bytes per second read from the source, and written to the target, by all the copies of
    # one process together (migrator.bandwidth); None: as fast as the servers go.
    max_bytes_per_second: int | None = None
    verify: bool = True
    # Read every target header back to verify, instead of trusting the UIDs the target gave
    # each appended message (APPENDUID); both count and compare identities per folder.
    verify_by_reading: bool = False
    # Folders copied side by side, each over its own pair of connections. Two copy one mailbox
    # alone about a fifth faster into Dovecot, but cost more CPU on both servers: with several
    # mailboxes in parallel (the workers' normal case) one pair is faster (tests/bench).
    connections: int = 1
    batch_messages: int = 200
    batch_bytes: int = 8 << 20
    # Larger messages pass through a temporary file instead of memory. Under heavy writing the
    # kernel writes such files out too, which made parallel copies a quarter slower at 4 MB.
    stream_threshold: int = 16 << 20
    retry_delays: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0)  # after a broken connection
