"""Mail copy benchmark: the engine against Dovecot's own `doveadm backup` over IMAP.

A deterministic corpus (10 mailboxes of 1,000 messages shaped like Exchange's, see
mail_corpus.py) sits in an Exchange-like Dovecot; both tools copy it into an Intra2net-like
Dovecot, in the same run, one mailbox at a time and four in parallel. Every copy is a process
of its own, so its peak memory is its own (from wait4). doveadm pulls over IMAP (imapc) and
writes the target's storage directly: the reference for what the servers can take. The engine
copies every mailbox to a target user of its own and verifies it.

Targets: one at a time >= 0.5 x the reference's throughput, four in parallel >= 0.75 x, peak
memory of a copying process < 150 MB, every copy verified. Each pass runs BENCH_ROUNDS times
(default 2, interleaved) and the best round of each counts, because other work on the machine
makes single rounds vary by a third.

    python -m tests.bench mailcopy          (make bench runs every benchmark)
    BENCH_USERS=4 BENCH_MESSAGES=300 python -m tests.bench mailcopy    (a quicker look)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.bench.mail_corpus import build_mailbox

USERS = int(os.environ.get("BENCH_USERS", "10"))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))  # the best round counts: the machine is shared
PARALLEL = 4
TARGET_SINGLE, TARGET_PARALLEL, TARGET_RSS_MB = 0.5, 0.75, 150
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Copy:
    """One mailbox copied by one process."""

    seconds: float
    peak_rss_mb: float
    verified: bool


@dataclass(frozen=True)
class Pass:
    """Every mailbox copied once, by one tool, with some parallelism."""

    tool: str
    parallel: int
    seconds: float
    messages: int
    megabytes: float
    copies: list[Copy]

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds

    @property
    def mb_per_second(self) -> float:
        return self.megabytes / self.seconds

    @property
    def peak_rss_mb(self) -> float:
        return max(c.peak_rss_mb for c in self.copies)

    def line(self) -> str:
        how = "one at a time" if self.parallel == 1 else f"{self.parallel} in parallel"
        name = f"{self.tool}, {how}"
        return (
            f"  {name:<28} {self.messages_per_second:8.0f} msg/s {self.mb_per_second:8.1f} MB/s"
            f" {self.seconds:7.1f} s   peak RSS {self.peak_rss_mb:6.1f} MB"
        )


def main() -> bool:
    """Build the corpus, run both tools both ways, print the figures; False if a target is
    missed."""
    from tests.servers.dovecot import start_exchange_like, start_intra2net_like

    folder = Path(tempfile.mkdtemp(prefix="bench-mailcopy-"))
    try:
        with (
            start_exchange_like(folder / "source") as source,
            start_intra2net_like(folder / "target") as target,
        ):
            users = [f"bench{n:02d}" for n in range(USERS)]
            started = time.monotonic()
            messages, megabytes = build_corpus(source, users)
            print(
                f"mail copy: corpus of {len(users)} mailboxes, {messages:,} messages, "
                f"{megabytes:,.0f} MB built in {time.monotonic() - started:.0f} s",
                flush=True,
            )
            runs = []
            for round_ in range(1, ROUNDS + 1):
                for parallel in (1, PARALLEL):
                    for tool, copy in (("doveadm", _doveadm), ("engine", _engine)):
                        runs.append(
                            run_pass(
                                tool, parallel, copy, source, target, users, messages, megabytes
                            )
                        )
                        print(f"{runs[-1].line()}   (round {round_})", flush=True)
            return report(runs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def build_corpus(source, users: list[str]) -> tuple[int, float]:
    """Write every mailbox (two processes: the machine has two cores), then let Dovecot
    index them so that neither tool pays for that."""
    for user in users:
        source.add_user(user, "bench")
    with ProcessPoolExecutor(2) as pool:
        stats = list(
            pool.map(_build_one, [str(source.maildir(u)) for u in users], range(len(users)))
        )
    for user in users:
        source.fix_ownership(user)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda u: _index(source, u), users))
    return sum(s.messages for s in stats), sum(s.bytes for s in stats) / 1e6


def _build_one(maildir: str, seed: int):
    return build_mailbox(Path(maildir), seed, MESSAGES)


def _index(source, user: str) -> None:
    subprocess.run(
        ["doveadm", "-c", str(source.conf_path), "mailbox", "status", "-u", user,
         "-t", "messages vsize", "*"],
        check=True, capture_output=True,
    )  # fmt: skip


def run_pass(tool, parallel, copy: Callable, source, target, users, messages, megabytes) -> Pass:
    prefix = f"{tool[:3]}{parallel}-"
    for user in users:
        target.add_user(prefix + user, "bench")
    started = time.monotonic()
    with ThreadPoolExecutor(parallel) as pool:
        copies = list(pool.map(lambda u: copy(source, target, u, prefix + u), users))
    seconds = time.monotonic() - started
    for user in users:
        shutil.rmtree(target.maildir(prefix + user), ignore_errors=True)
    return Pass(tool, parallel, seconds, messages, megabytes, copies)


def _doveadm(source, target, user: str, target_user: str) -> Copy:
    # The target's namespace is Cyrus-like; for dsync's imapc side it must be the source's.
    command = [
        "doveadm", "-c", str(target.conf_path),
        "-o", "namespace/inbox/prefix=", "-o", "namespace/inbox/separator=/",
        "-o", f"imapc_host={source.host}", "-o", f"imapc_port={source.port}",
        "-o", f"imapc_user={user}", "-o", f"imapc_master_user={source.admin_user}",
        "-o", f"imapc_password={source.admin_password}", "-o", "imapc_ssl=no",
        "-o", "imapc_features=rfc822.size fetch-headers", "-o", "mail_prefetch_count=20",
        "backup", "-R", "-u", target_user, "imapc:",
    ]  # fmt: skip
    seconds, rss, status, output = _measure(command)
    if status != 0:
        raise RuntimeError(f"doveadm failed for {user}: {output}")
    return Copy(seconds, rss, verified=status == 0)


def _engine(source, target, user: str, target_user: str) -> Copy:
    command = [
        sys.executable, "-m", "tests.bench.mailcopy", "--copy",
        source.host, str(source.port), source.admin_user, user,
        target.host, str(target.port), target.admin_user, target_user,
    ]  # fmt: skip
    seconds, rss, status, output = _measure(
        command,
        {"SOURCE_PW": source.admin_password, "TARGET_PW": target.admin_password},
    )
    result = json.loads(output.splitlines()[-1]) if status == 0 else {}
    if status != 0:
        raise RuntimeError(f"the engine failed for {user}: {output}")
    if result["messages_copied"] != MESSAGES:  # the non-mail folders' items are left out
        raise RuntimeError(f"{user}: copied {result['messages_copied']} of {MESSAGES}")
    return Copy(seconds, rss, verified=result["verified"])


def _measure(
    command: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, int, str]:
    """Wall time, peak RSS (MB) of the process itself, exit status, output."""
    with tempfile.TemporaryFile() as output:
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    return seconds, usage.ru_maxrss / 1024, process.returncode, text


def report(runs: list[Pass]) -> bool:
    by: dict[tuple[str, int], Pass] = {}
    for run in runs:
        best = by.get((run.tool, run.parallel))
        if best is None or run.seconds < best.seconds:
            by[run.tool, run.parallel] = run
    print("best rounds:")
    for run in by.values():
        print(run.line())
    single = by["engine", 1].mb_per_second / by["doveadm", 1].mb_per_second
    parallel = by["engine", PARALLEL].mb_per_second / by["doveadm", PARALLEL].mb_per_second
    rss = max(r.peak_rss_mb for r in runs if r.tool == "engine")
    verified = all(c.verified for r in runs if r.tool == "engine" for c in r.copies)
    checks = [
        (f"one at a time: engine/doveadm = {single:.2f}", single >= TARGET_SINGLE,
         f">= {TARGET_SINGLE}"),
        (f"{PARALLEL} in parallel: engine/doveadm = {parallel:.2f}", parallel >= TARGET_PARALLEL,
         f">= {TARGET_PARALLEL}"),
        (f"peak memory of an engine process: {rss:.0f} MB", rss < TARGET_RSS_MB,
         f"< {TARGET_RSS_MB} MB"),
        (f"every engine copy verified: {verified}", verified, "all"),
    ]  # fmt: skip
    for text, ok, target in checks:
        print(f"  {'ok  ' if ok else 'MISS'} {text} (target {target})")
    return all(ok for _text, ok, _target in checks)


def _copy_one(argv: list[str]) -> None:
    """The engine in a process of its own (no Django): one mailbox, a JSON line out."""
    from migrator.copy import copy_mailbox
    from migrator.endpoints import Credentials, ImapEndpoint, LoginMode, Security
    from migrator.options import CopyOptions

    source_host, source_port, source_admin, user = argv[:4]
    target_host, target_port, target_admin, target_user = argv[4:8]
    options = CopyOptions(**json.loads(argv[8])) if len(argv) > 8 else CopyOptions()
    report = copy_mailbox(
        ImapEndpoint(source_host, int(source_port), Security.PLAIN),
        ImapEndpoint(target_host, int(target_port), Security.PLAIN),
        Credentials(user, os.environ["SOURCE_PW"], LoginMode.ADMIN_MASTER, admin=source_admin),
        Credentials(
            target_user, os.environ["TARGET_PW"], LoginMode.ADMIN_PLAIN, admin=target_admin
        ),
        options=options,
    )
    print(json.dumps({k: v for k, v in report.to_json().items() if k != "folders"}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--copy"]:
        _copy_one(sys.argv[2:])
    else:
        sys.exit(0 if main() else 1)
