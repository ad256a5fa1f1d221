"""How a mailbox is copied: the options of `copy_mailbox`, with defaults that suit a first copy
from Exchange to the Intra2net server."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    verify: bool = True
    # Folders copied side by side, each over its own pair of connections. Two copy one mailbox
    # alone about a fifth faster into Dovecot, but cost more CPU on both servers: with several
    # mailboxes in parallel (the workers' normal case) one pair is faster (tests/bench).
    connections: int = 1
    batch_messages: int = 200
    batch_bytes: int = 8 << 20
    stream_threshold: int = 4 << 20  # larger messages pass through a temporary file
    retry_delays: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0)  # after a broken connection
