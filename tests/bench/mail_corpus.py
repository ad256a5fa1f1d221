"""A deterministic mail corpus shaped like Exchange mailboxes, written straight into Maildir.

Most messages are 5 to 50 KB of text (some with a small attachment), about 5% carry a 1 to 10 MB
attachment; folders are those of an Exchange mailbox (special folders, nested project folders,
an `&` and non-ASCII names, and the non-mail folders that must be left out). Files are written
the way Dovecot's Maildir keeps them (LF line ends, `S=`/`W=` sizes in the name, flags in the
`:2,` info, internal date as mtime), which is far faster than APPENDing gigabytes.
"""

from __future__ import annotations

import base64
import os
import random
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from imapclient import imap_utf7

# Share of a mailbox's messages per folder; '/' is the source's separator.
FOLDERS = {
    "INBOX": 0.42,
    "Sent Items": 0.2,
    "Deleted Items": 0.08,
    "Archive": 0.08,
    "Drafts": 0.01,
    "Junk Email": 0.02,
    "Projects/2023": 0.06,
    "Projects/2024": 0.06,
    "Customers & Partners": 0.04,
    "Kunden/Müller GmbH": 0.03,
}
NON_MAIL = {"Calendar": 5, "Contacts": 5, "Tasks": 2}

_TEXT = (
    "meeting offer invoice project delivery schedule review contract update customer budget "
    "report draft question answer thanks regards tomorrow monday attached please call server "
    "migration mailbox planning order quote shipment status deadline team holiday office"
)
WORDS = _TEXT.split()
FLAG_LETTERS = "DFRS"  # Maildir: Draft, Flagged, Replied, Seen (no \Deleted: both tools copy all)


@dataclass(frozen=True)
class CorpusStats:
    messages: int
    bytes: int  # IMAP sizes (CRLF line ends)


def build_mailbox(
    maildir: Path, seed: int, messages: int, *, big_share: float = 0.05
) -> CorpusStats:
    """Write one user's mailbox into `maildir` (the user's ~/Maildir, LAYOUT=fs)."""
    rng = random.Random(seed)
    total_bytes = 0
    names = list(FOLDERS)
    counts = {name: int(messages * share) for name, share in FOLDERS.items()}
    counts["INBOX"] += messages - sum(counts.values())
    serial = 0
    for name in names:
        folder = _folder_dir(maildir, name)
        for _ in range(counts[name]):
            serial += 1
            big = rng.random() < big_share
            raw, when, flags = _message(rng, seed, serial, name, big)
            total_bytes += _deliver(folder, raw, when, flags, serial)
    for name, count in NON_MAIL.items():
        folder = _folder_dir(maildir, name)
        for n in range(count):
            raw = (
                f"Subject: item {n}\nFrom: organiser@example.com\n"
                f"Content-Type: text/calendar\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n"
            ).encode()
            _deliver(folder, raw, datetime(2024, 1, 1, tzinfo=UTC), "", 900000 + n)
    (maildir / "dovecot-keywords").write_text("0 $Label1\n1 NonJunk\n")
    subscriptions = "".join(f"{n}\n" for n in [*names, *NON_MAIL])
    (maildir / "subscriptions").write_text(subscriptions)
    return CorpusStats(sum(counts.values()), total_bytes)


def _folder_dir(maildir: Path, name: str) -> Path:
    path = maildir if name == "INBOX" else maildir / imap_utf7.encode(name).decode()
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


def _message(
    rng: random.Random, seed: int, serial: int, folder: str, big: bool
) -> tuple[bytes, datetime, str]:
    when = datetime(2022, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(3 * 365 * 86400))
    subject = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 8))).capitalize()
    sender = f"{rng.choice(WORDS)}.{rng.choice(WORDS)}@partner{rng.randrange(50)}.example"
    text_size = rng.randrange(5_000, 50_000)
    words = " ".join(rng.choice(WORDS) for _ in range(text_size // 6))
    body = "\n".join(textwrap.wrap(words, 76))
    boundary = f"=_boundary_{seed}_{serial}"
    attachment = b""
    if big:
        attachment = rng.randbytes(rng.randrange(1_000_000, 10_000_000) * 3 // 4)
    elif rng.random() < 0.2:
        attachment = rng.randbytes(rng.randrange(2_000, 20_000))
    has_id = folder != "Drafts" or rng.random() < 0.5  # drafts often lack a Message-ID
    headers = [
        f"Received: from mx{rng.randrange(9)}.example ([192.0.2.{rng.randrange(250)}]) by "
        f"exchange.corp.example with Microsoft SMTP Server id 15.1.2507.6; "
        f"{format_datetime(when)}",
        f"From: {sender}",
        "To: user@corp.example",
        f"Subject: {subject}",
        f"Date: {format_datetime(when)}",
    ]
    if has_id:
        headers.append(f"Message-ID: <{seed}.{serial}.{rng.randrange(10**9)}@corp.example>")
    headers += ["MIME-Version: 1.0", f'Content-Type: multipart/mixed; boundary="{boundary}"']
    parts = [
        "\n".join(headers),
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
    ]
    if attachment:
        encoded = base64.encodebytes(attachment).decode()
        parts += [
            f"--{boundary}",
            "Content-Type: application/octet-stream; name=attachment.bin",
            "Content-Transfer-Encoding: base64",
            "Content-Disposition: attachment; filename=attachment.bin",
            "",
            encoded.rstrip("\n"),
        ]
    parts += [f"--{boundary}--", ""]
    flags = "".join(
        letter
        for letter, chance in zip(FLAG_LETTERS, (0.01, 0.05, 0.2, 0.8), strict=True)
        if rng.random() < chance
    )
    if rng.random() < 0.05:
        flags += "a"  # keyword 0: $Label1
    return "\n".join(parts).encode(), when, flags


def _deliver(folder: Path, raw: bytes, when: datetime, flags: str, serial: int) -> int:
    virtual = len(raw) + raw.count(b"\n")
    info = "".join(sorted(flags))
    name = f"{int(when.timestamp())}.M{serial}P1.bench,S={len(raw)},W={virtual}:2,{info}"
    path = folder / "cur" / name
    path.write_bytes(raw)
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))
    return virtual
