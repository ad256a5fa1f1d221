"""A throwaway Redis on a free port, without persistence, for tests."""

from __future__ import annotations

from pathlib import Path

from tests.servers.ports import free_port
from tests.servers.process import ServerProcess

HOST = "127.0.0.1"


class RedisServer(ServerProcess):
    """A running redis-server; `url` is `redis://127.0.0.1:PORT/0`."""

    def __init__(self, directory: Path) -> None:
        self.host = HOST
        self.port = free_port(HOST)
        self.url = f"redis://{HOST}:{self.port}/0"
        self.base_dir = directory
        self.log_path = directory / "redis.log"
        self._launch(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "",
             "--appendonly", "no", "--dir", str(directory), "--daemonize", "no"],
        )
        self._wait_ready(HOST, [self.port], timeout=15)


def start_redis(directory: Path | str) -> RedisServer:
    """Start redis-server with its working directory (and log) in `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return RedisServer(directory)
