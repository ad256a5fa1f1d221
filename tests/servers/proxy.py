"""A small threaded TCP proxy that can drop its connections, to simulate network failures.

`cut()` closes every current connection (both sides) while new ones are still accepted;
`cut_after(bytes_from_server=N)` arms a one-shot trap: once N more bytes have flowed from the
server (counted over all connections), the connection carrying the Nth byte is dropped right
after forwarding exactly that byte, e.g. in the middle of a FETCH. The reconnection after it
goes through untouched.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Self

from tests.servers.ports import free_port

_CHUNK = 65536


class _Pair:
    """One proxied connection: the client's socket and the one to the server."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client = client
        self.server = server

    def close(self) -> None:
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class TcpProxy:
    """Listens on `host:port` and forwards every connection to `target_host:target_port`."""

    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.port = free_port(host)
        self.accepted = 0  # connections accepted so far
        self.cuts = 0  # connections dropped by cut() or cut_after()
        self._pairs: set[_Pair] = set()
        self._lock = threading.Lock()
        self._budget: int | None = None  # bytes from the server until the armed cut
        self._listener = socket.create_server((host, self.port))
        self._thread = threading.Thread(target=self._accept, daemon=True, name="tcp-proxy")
        self._thread.start()

    def cut(self) -> None:
        """Drop every current connection, both sides; new connections are still accepted."""
        with self._lock:
            pairs, self._pairs = self._pairs, set()
            self.cuts += len(pairs)
        for pair in pairs:
            pair.close()

    def cut_after(self, bytes_from_server: int) -> None:
        """Drop the connection over which the next `bytes_from_server` bytes have flowed."""
        with self._lock:
            self._budget = bytes_from_server

    def stop(self) -> None:
        """Stop listening and drop every connection."""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self.cut()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return  # stopped
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pair = _Pair(client, server)
            with self._lock:
                self._pairs.add(pair)
                self.accepted += 1
            for source, sink, from_server in ((client, server, False), (server, client, True)):
                threading.Thread(
                    target=self._pump, args=(pair, source, sink, from_server), daemon=True
                ).start()

    def _pump(
        self, pair: _Pair, source: socket.socket, sink: socket.socket, from_server: bool
    ) -> None:
        drop = False
        try:
            while data := source.recv(_CHUNK):
                if from_server:
                    with self._lock:
                        if self._budget is not None:
                            if len(data) >= self._budget:
                                data, drop, self._budget = data[: self._budget], True, None
                            else:
                                self._budget -= len(data)
                sink.sendall(data)
                if drop:
                    break
        except OSError:
            pass
        with self._lock:
            if drop:
                self.cuts += 1
            self._pairs.discard(pair)
        pair.close()
