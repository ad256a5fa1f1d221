"""Running a server process for tests: its own session, output into a log file, stop = kill tree.

Every server class derives from ServerProcess: `stop()` sends TERM to the server's main
process, gives it a moment to shut down and KILLs whatever is left of its process group; the
object is a context manager, and servers still running when the Python process exits are
stopped by an atexit hook so that a crashed test run leaves nothing behind.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.servers.ports import wait_for_port

# Unix socket paths are limited to 108 bytes; servers keep their sockets in a short folder.
_MAX_SOCKET_DIR = 70


def socket_dir(directory: Path) -> Path:
    """`directory/run`, or a short folder in /tmp when that path is too long for sockets."""
    run = directory / "run"
    if len(str(run)) > _MAX_SOCKET_DIR:
        return Path(tempfile.mkdtemp(prefix="srv-run-"))
    run.mkdir(parents=True, exist_ok=True)
    return run


class ServerProcess:
    """A server running in its own process group, logging into `log_path`."""

    log_path: Path
    _popen: subprocess.Popen[bytes] | None = None
    _cleanup: tuple[Path, ...] = ()
    _stop_grace = 10.0  # seconds the main process gets after TERM before the group is KILLed

    def _launch(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        user: str | None = None,
        group: str | None = None,
    ) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._popen = subprocess.Popen(
                list(args),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                user=user,
                group=group,
                start_new_session=True,
            )
        _RUNNING.add(self)

    def _wait_ready(self, host: str, ports: Sequence[int], timeout: float) -> None:
        """Wait for every port; on failure stop the server and raise with the log's tail."""
        try:
            for port in ports:
                wait_for_port(host, port, timeout, self.log_path, self._popen)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Terminate the server and all its children; safe to call twice."""
        popen, self._popen = self._popen, None
        _RUNNING.discard(self)
        if popen is not None:
            if self._stop_grace:
                popen.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    popen.wait(self._stop_grace)
            _signal_group(popen.pid, signal.SIGKILL)  # whatever is left of the process tree
            popen.wait()
        for path in self._cleanup:
            shutil.rmtree(path, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


_RUNNING: set[ServerProcess] = set()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()
