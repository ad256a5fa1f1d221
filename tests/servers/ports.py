"""Free TCP ports and loopback addresses for test servers, and waiting until a server listens.

A server that does not come up raises ServerStartError, whose message ends with the tail of
the server's log. Ports are picked at random below the kernel's ephemeral range, so an
outgoing connection of another process can never take a port between the moment it is picked
and the moment the server binds it; several test runs on one machine rarely collide.
"""

from __future__ import annotations

import errno
import random
import socket
import subprocess
import time
from pathlib import Path

_LOWEST_PORT = 20000
_SAMBA_PORTS = (389, 636, 3268, 3269)


class ServerStartError(RuntimeError):
    """A test server did not come up; the message ends with the tail of its log."""


def log_tail(log_path: Path | str | None, lines: int = 40) -> str:
    """The last `lines` lines of a log file, formatted to be appended to an error message."""
    if log_path is None:
        return ""
    try:
        text = Path(log_path).read_text(errors="replace")
    except OSError as error:
        return f"\n(no log: {error})"
    return f"\n--- last lines of {log_path} ---\n" + "\n".join(text.splitlines()[-lines:])


def _ephemeral_floor() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _can_bind(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
                return False
            raise
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nothing listens on, outside the ephemeral range."""
    ceiling = max(_ephemeral_floor() - 1, _LOWEST_PORT + 1000)
    for _ in range(200):
        port = random.randint(_LOWEST_PORT, ceiling)
        if _can_bind(host, port):
            return port
    raise RuntimeError(f"no free TCP port found on {host}")


def random_loopback_address() -> str:
    """An address in 127.0.0.0/8, never 127.0.0.1, on which Samba's ports are free.

    Checks 389 and 636 and also the global catalog ports 3268/3269 that Samba binds too.
    Binding ports below 1024 needs root, as Samba itself does.
    """
    for _ in range(100):
        address = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        if all(_can_bind(address, port) for port in _SAMBA_PORTS):
            return address
    raise RuntimeError("no loopback address with free ports 389/636/3268/3269 found")


def wait_for_port(
    host: str,
    port: int,
    timeout: float,
    log_path: Path | str | None = None,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Wait until `host:port` accepts a TCP connection.

    Raises ServerStartError (with the tail of `log_path`) on timeout, or as soon as `process`
    has exited.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            pass
        problem = None
        if process is not None and process.poll() is not None:
            problem = f"exited with status {process.returncode}"
        elif time.monotonic() > deadline:
            problem = f"did not listen within {timeout:.0f} s"
        if problem:
            raise ServerStartError(f"server for {host}:{port} {problem}" + log_tail(log_path))
        time.sleep(0.02)
