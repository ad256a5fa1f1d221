"""`make demo` (`python -m demo [--port N]`): the sandbox organisation and the wizard pointed at
it, on loopback, until Ctrl-C.

Everything lives in var/demo/, wiped at every start: the servers' files, the app's SQLite
database, keys and logs (var/demo/site/logs/). The logins go to the terminal and to
var/demo-credentials.json, which exists while the demo runs. The servers run in sessions of
their own, so that Ctrl-C reaches the demo alone and it stops them in order; var/demo/pids.json
names them, so that a new demo can end what a killed one (kill -9) left running.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

from demo import organisation
from demo.sandbox import start_sandbox
from demo.site import ROOT, start_site
from tests.servers.ports import free_port

VAR = ROOT / "var"
FOLDER = VAR / "demo"
CREDENTIALS = VAR / "demo-credentials.json"
LOCK = VAR / "demo.lock"
PIDS = FOLDER / "pids.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", 8000)),
        help="the web server's port (default 8000, or a free one when 8000 is taken)",
    )
    args = parser.parse_args(argv)
    VAR.mkdir(exist_ok=True)
    with open(LOCK, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("demo: another demo is running (var/demo.lock); stop it first.", file=sys.stderr)
            return 1
        return run(args.port)


def run(port: int) -> int:
    began = time.monotonic()
    # Ctrl-C, a closed terminal and kill all end the demo the same way: through `finally`
    # (SIGINT too, which a shell ignores for commands it starts in the background).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    _end_leftovers()
    CREDENTIALS.unlink(missing_ok=True)
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir(parents=True)
    if not _port_free(port):
        taken, port = port, free_port()
        print(f"Port {taken} is taken; the demo uses {port}.")
    print("Starting the sandbox: Exchange, Active Directory, the Intra2net server…", flush=True)
    try:
        with start_sandbox(FOLDER / "sandbox") as sandbox:
            servers = [sandbox.source, sandbox.target, sandbox.directory, sandbox.smtp]
            _remember(servers)
            print(f"{sandbox.messages:,} messages in {len(organisation.PEOPLE)} mailboxes and "
                  "the public folders. Starting the wizard…", flush=True)
            with start_site(FOLDER / "site", sandbox, port=port) as site:
                _remember([*servers, site.redis, *site.processes.values()])
                shutil.copy(site.folder / "credentials.json", CREDENTIALS)
                _welcome(site.credentials, sandbox.describe(), time.monotonic() - began)
                while not (problem := site.failed()):
                    time.sleep(1)
                print(f"demo: {problem}", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        CREDENTIALS.unlink(missing_ok=True)


def _interrupt(signum, frame) -> None:
    # Once: a second Ctrl-C must not cut short the stopping of the servers.
    for each in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(each, signal.SIG_IGN)
    raise KeyboardInterrupt


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _remember(processes: list) -> None:
    """Note the process groups started (each server leads its own) with their start times."""
    # tests/servers keeps its Popen in `_popen`; demo/site.py's AppProcess in `popen`.
    pids = [getattr(process, "popen", None) or process._popen for process in processes]
    PIDS.write_text(json.dumps([[p.pid, _started_at(p.pid)] for p in pids]))


def _end_leftovers() -> None:
    """Kill the process groups an earlier demo noted and left running (a pid that was reused
    since has another start time and is left alone)."""
    with contextlib.suppress(OSError, ValueError):
        for pid, started in json.loads(PIDS.read_text()):
            if started is not None and _started_at(pid) == started:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)


def _started_at(pid: int) -> int | None:
    """The process's start time in clock ticks after boot (field 22 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _welcome(credentials: dict, sandbox: dict, seconds: float) -> None:
    admin, helpdesk = credentials["admin"], credentials["helpdesk"]
    links = credentials["signoff_links"]
    source, target, directory = sandbox["source"], sandbox["target"], sandbox["directory"]
    print(f"""
The demo is up after {seconds:.0f} s: {credentials["url"]}

  admin      {admin["username"]} / {admin["password"]}
  helpdesk   {helpdesk["username"]} / {helpdesk["password"]}

The migration "Corp" is set up: Exchange, the Intra2net server and Active Directory are
entered and the directory is imported. Log in as admin and carry on with step 1's
preflight checks. Each user's sign-off link ({len(links)} of them, one per user who moves,
in the order of their account names) is in {CREDENTIALS.relative_to(ROOT)}, e.g.
  {links[0]}

The sandbox, for IMAP and LDAP clients:
  Exchange (IMAP)            {source["host"]}:{source["port"]}, admin / {source["admin_password"]} acts for anyone (user*admin)
  Intra2net server (IMAP)    {target["host"]}:{target["port"]}, admin / {target["admin_password"]}
  Active Directory (LDAPS)   {directory["url"]}, {directory["bind_user"]} / {directory["bind_password"]}
  Intra2net server (SMTP)    {sandbox["smtp"]["host"]}:{sandbox["smtp"]["port"]}
Logs: var/demo/site/logs/. Ctrl-C stops everything; `make demo` again starts afresh.
""", flush=True)  # noqa: E501


if __name__ == "__main__":
    sys.exit(main())
