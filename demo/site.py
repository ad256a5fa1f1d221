"""The wizard running against the sandbox: web server, Celery worker (with beat) and a Redis of
its own, on a SQLite database of its own, all below one folder.

`start_site(folder, sandbox, port=...)` writes the sandbox's description, starts Redis on a
free port, migrates the database, collects the static files, runs demo/configure.py (accounts,
the migration, the directory import), then starts gunicorn and the worker and waits until the
login page answers. Nothing here touches `make run`'s database or a Redis on 6379.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from demo.sandbox import Sandbox
from tests.servers.ports import log_tail
from tests.servers.redis import RedisServer, start_redis

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WORKER_CONCURRENCY = 6  # four copies at once (the migration's default) plus checks
READY_TIMEOUT = 60


class SiteError(RuntimeError):
    """The app did not come up; the message ends with the tail of the log that says why."""


class AppProcess:
    """A process of the app in its own session, its output in a log file; `stop()` ends it
    and its children (TERM, then KILL after `grace` seconds)."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.popen = subprocess.Popen(
                args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        if self.running():
            self.popen.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # whatever is left of the group
        self.popen.wait()


@dataclass
class Site:
    """The running app: where it answers, its logins, its database file and its processes."""

    url: str
    folder: Path
    credentials: dict
    redis: RedisServer
    processes: dict[str, AppProcess] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.folder / "demo.sqlite3"

    def failed(self) -> str:
        """Which process has exited, with its log's tail; "" while all run."""
        for name, process in self.processes.items():
            if not process.running():
                return f"the {name} has exited" + log_tail(process.log_path)
        return ""

    def stop(self) -> None:
        # The worker first: it must not pick up work while the web server goes.
        for name in ("worker", "web"):
            if name in self.processes:
                self.processes.pop(name).stop()
        self.redis.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def environment(folder: Path, url: str, broker_url: str) -> dict[str, str]:
    """The app's settings (wizard/settings.py reads them all from the environment)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "SITE_URL", "ALLOWED_HOSTS", "STATIC_ROOT")
    }
    env.update(
        VAR_DIR=str(folder),
        DATABASE_URL=f"sqlite:///{folder / 'demo.sqlite3'}",
        CELERY_BROKER_URL=broker_url,
        SITE_URL=url,
        DEBUG="false",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


def start_site(folder: Path | str, sandbox: Sandbox, *, port: int) -> Site:
    """Start the app below `folder` (created if missing) against the running sandbox."""
    folder = Path(folder).resolve()
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    sandbox_file = folder / "sandbox.json"
    sandbox_file.write_text(json.dumps(sandbox.describe(), indent=2) + "\n")
    url = f"http://{HOST}:{port}"
    redis = start_redis(folder / "redis")
    site = Site(url, folder, {}, redis)
    try:
        env = environment(folder, url, redis.url)
        setup_log = folder / "logs" / "setup.log"
        python = sys.executable
        _run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env, setup_log)
        _run([python, "manage.py", "collectstatic", "--noinput", "-v", "0"], env, setup_log)
        credentials_file = folder / "credentials.json"
        _run([python, "-m", "demo.configure", str(sandbox_file), str(credentials_file)], env,
             setup_log)
        site.credentials = json.loads(credentials_file.read_text())
        site.processes["worker"] = AppProcess(
            [python, "-m", "celery", "-A", "wizard", "worker", "--beat", "--loglevel", "INFO",
             "--concurrency", str(WORKER_CONCURRENCY), "--schedule",
             str(folder / "celerybeat-schedule")],
            env, folder / "logs" / "worker.log",
        )
        site.processes["web"] = AppProcess(
            [python, "-m", "gunicorn", "wizard.wsgi", "--bind", f"{HOST}:{port}",
             "--workers", "2", "--threads", "4", "--access-logfile", "-"],
            env, folder / "logs" / "web.log",
        )
        _wait_until_answering(site)
    except BaseException:
        site.stop()
        raise
    return site


def _run(args: list[str], env: dict[str, str], log_path: Path) -> None:
    with open(log_path, "ab") as log:
        done = subprocess.run(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SiteError(f"{' '.join(args[1:3])} failed" + log_tail(log_path))


def _wait_until_answering(site: Site) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            login_page = f"{site.url}/login/"  # always http://127.0.0.1
            with urllib.request.urlopen(login_page, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        problem = site.failed()
        if not problem and time.monotonic() > deadline:
            problem = f"the web server did not answer within {READY_TIMEOUT} s" + log_tail(
                site.processes["web"].log_path
            )
        if problem:
            raise SiteError(problem)
        time.sleep(0.2)
