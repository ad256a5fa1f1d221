"""A throwaway SMTP server (aiosmtpd, in its own process) standing in for the Intra2net
server's mail port."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.servers.ports import free_port
from tests.servers.process import ServerProcess

HOST = "127.0.0.1"


class SmtpServer(ServerProcess):
    def __init__(self, directory: Path) -> None:
        self.host = HOST
        self.port = free_port(HOST)
        self.log_path = directory / "smtp.log"
        self._launch([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"{HOST}:{self.port}"])
        self._wait_ready(HOST, [self.port], timeout=15)


def start_smtp(directory: Path | str) -> SmtpServer:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return SmtpServer(directory)
