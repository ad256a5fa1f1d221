"""A throwaway DNS server (dnsmasq) on a free loopback port, answering MX and A records."""

from __future__ import annotations

from pathlib import Path

from tests.servers.ports import free_port
from tests.servers.process import ServerProcess

HOST = "127.0.0.1"


class DnsServer(ServerProcess):
    """dnsmasq answering only the records it is given, on UDP and TCP `port`."""

    def __init__(
        self, directory: Path, mx: dict[str, list[tuple[int, str]]], hosts: dict[str, str]
    ) -> None:
        self.host = HOST
        self.port = free_port(HOST)
        self.log_path = directory / "dnsmasq.log"
        records = [
            f"--mx-host={domain},{host},{preference}"
            for domain, entries in mx.items()
            for preference, host in entries
        ]
        records += [f"--host-record={name},{address}" for name, address in hosts.items()]
        self._launch(
            [
                "dnsmasq",
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
                "--no-poll",
                "--bind-interfaces",
                f"--listen-address={HOST}",
                f"--port={self.port}",
                "--user=root",
                f"--pid-file={directory / 'dnsmasq.pid'}",
                *records,
            ]
        )
        self._wait_ready(HOST, [self.port], timeout=10)


def start_dns(
    directory: Path | str,
    *,
    mx: dict[str, list[tuple[int, str]]] | None = None,
    hosts: dict[str, str] | None = None,
) -> DnsServer:
    """`mx` maps a domain to (preference, host) pairs, `hosts` a name to its IPv4 address."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return DnsServer(directory, mx or {}, hosts or {})
