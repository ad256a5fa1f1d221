"""Logins to a provider's mailbox, tested for real against Dovecot's POP3 and IMAP servers: the
right password works, a wrong one is refused, and no message repeats the password."""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from migrator.fetching import FetchAccount, LoginCheck, Protocol, TlsMode, check_login
from tests.servers import dovecot
from tests.servers.ports import free_port

PASSWORD = "Sommer 2024!"
WRONG = "Winter-2023?"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """A provider's server: POP3 (STARTTLS offered) and IMAP, with one mailbox holding mail."""
    with dovecot.start_exchange_like(
        tmp_path_factory.mktemp("provider"), pop3=True, tls=True
    ) as server:
        server.add_user("info", PASSWORD)
        client = server.connect("info", PASSWORD)
        message = EmailMessage()
        message["Subject"] = "Anfrage"
        message.set_content("Guten Tag")
        client.append("INBOX", message.as_bytes())
        client.logout()
        yield server


@contextlib.contextmanager
def pop3s_in_front_of(server) -> Iterator[int]:
    """Implicit TLS (POP3S) in front of the server's POP3 port, which the harness serves with
    STARTTLS only; each connection is relayed in one thread, so TLS is never used from two."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls = server.ca_file.parent
    context.load_cert_chain(tls / "cert.pem", tls / "key.pem")
    listener = socket.create_server((server.host, free_port(server.host)))

    def relay(raw: socket.socket) -> None:
        with contextlib.suppress(OSError), context.wrap_socket(raw, server_side=True) as front, \
                socket.create_connection((server.host, server.pop3_port)) as back:
            while True:
                readable, _, _ = select.select([front, back], [], [], 10)
                if not readable:
                    return
                for source in readable:
                    data = source.recv(65536)
                    while source is front and front.pending():
                        data += front.recv(front.pending())
                    if not data:
                        return
                    (back if source is front else front).sendall(data)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                raw, _ = listener.accept()
                threading.Thread(target=relay, args=(raw,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def account(server, protocol: Protocol, tls: TlsMode, password: str = PASSWORD, *,
            port: int | None = None) -> FetchAccount:
    if port is None:
        port = server.pop3_port if protocol == Protocol.POP3 else server.port
    return FetchAccount(protocol, server.host, port, tls, "info", password, "jdoe")


def check(server, acc: FetchAccount, **options) -> LoginCheck:
    result = check_login(acc, ca_file=str(server.ca_file), timeout=10, **options)
    assert acc.password not in result.message
    return result


@pytest.mark.parametrize("tls", [TlsMode.PLAIN, TlsMode.STARTTLS])
def test_a_pop3_login_works_and_says_what_is_waiting(provider, tls):
    result = check(provider, account(provider, Protocol.POP3, tls))
    assert result.ok
    assert result.message.startswith("the login works: 1 messages (")


@pytest.mark.parametrize("tls", [TlsMode.PLAIN, TlsMode.STARTTLS])
def test_a_wrong_pop3_password_is_refused_without_repeating_it(provider, tls):
    result = check(provider, account(provider, Protocol.POP3, tls, WRONG))
    assert not result.ok
    assert result.message == (
        f"login as info refused by the POP3 server {provider.host}:{provider.pop3_port}: "
        "-ERR [AUTH] Authentication failed."
    )


def test_pop3_over_implicit_tls_works_and_refuses_a_wrong_password(provider):
    with pop3s_in_front_of(provider) as port:
        good = check(provider, account(provider, Protocol.POP3, TlsMode.TLS, port=port))
        bad = check(provider, account(provider, Protocol.POP3, TlsMode.TLS, WRONG, port=port))
    assert good.ok, good.message
    assert not bad.ok
    assert "-ERR [AUTH] Authentication failed." in bad.message


def test_a_certificate_nobody_vouches_for_fails_with_advice(provider):
    result = check_login(account(provider, Protocol.POP3, TlsMode.STARTTLS), timeout=10)
    assert not result.ok
    assert "TLS with the POP3 server" in result.message
    assert "give the CA file" in result.message


def test_verification_can_be_switched_off_for_a_self_signed_certificate(provider):
    result = check_login(account(provider, Protocol.POP3, TlsMode.STARTTLS), verify_tls=False,
                         timeout=10)
    assert result.ok


def test_starttls_on_a_server_without_it_is_refused_clearly(tmp_path):
    with dovecot.start_exchange_like(tmp_path, pop3=True) as plain_only:
        plain_only.add_user("info", PASSWORD)
        result = check_login(account(plain_only, Protocol.POP3, TlsMode.STARTTLS), timeout=10)
    assert not result.ok
    assert "does not offer STARTTLS" in result.message


def test_an_unreachable_server_is_said_to_be_unreachable(provider):
    result = check(provider, account(provider, Protocol.POP3, TlsMode.PLAIN,
                                     port=free_port(provider.host)))
    assert not result.ok
    assert result.message.startswith(f"cannot reach the POP3 server {provider.host}:")


@pytest.mark.parametrize("tls", [TlsMode.TLS, TlsMode.STARTTLS, TlsMode.PLAIN])
def test_an_imap_login_works_and_counts_the_inbox(provider, tls):
    port = provider.imaps_port if tls == TlsMode.TLS else provider.port
    result = check(provider, account(provider, Protocol.IMAP, tls, port=port))
    assert result == LoginCheck(True, "the login works: 1 messages in INBOX")


def test_a_wrong_imap_password_is_refused_without_repeating_it(provider):
    result = check(provider, account(provider, Protocol.IMAP, TlsMode.STARTTLS, WRONG))
    assert not result.ok
    assert result.message.startswith("login as info refused")


def test_a_password_the_server_echoes_is_masked():
    echoed = FetchAccount(Protocol.POP3, "127.0.0.1", free_port(), TlsMode.PLAIN,
                          "info", "127.0.0.1", "jdoe")
    result = check_login(echoed, timeout=5)
    assert "127.0.0.1" not in result.message
    assert "********" in result.message
