"""The admin's list of provider accounts to fetch mail from (read with a clear message for each
bad row) and the list written for the Intra2net server's mail fetching."""

from __future__ import annotations

import pytest

from migrator.errors import BadArguments
from migrator.fetching import (
    FetchAccount,
    Protocol,
    TlsMode,
    read_fetch_accounts_csv,
    write_fetch_accounts_csv,
)

USERS = {"jdoe": "1", "asmith": "2", "jörg": "3"}


def accounts_of(result) -> list[tuple]:
    return [
        (r.row, r.account.protocol.value, r.account.host, r.account.port, r.account.tls.value,
         r.account.login, r.account.password, r.account.target_user, r.target_key)
        for r in result.rows
    ]


def test_it_reads_the_documented_layout_with_its_header():
    data = (b"protocol,host,port,tls,login,password,target_user\r\n"
            b"pop3,pop.provider.example,995,tls,info@firma.example,s3cret,jdoe\r\n"
            b"imap,imap.provider.example,143,starttls,vertrieb,\"a,b\",asmith\r\n")
    result = read_fetch_accounts_csv(data, USERS)
    assert accounts_of(result) == [
        (2, "pop3", "pop.provider.example", 995, "tls", "info@firma.example", "s3cret", "jdoe",
         "1"),
        (3, "imap", "imap.provider.example", 143, "starttls", "vertrieb", "a,b", "asmith", "2"),
    ]
    assert (result.problems, result.separator, result.had_header) == ((), ",", True)


def test_a_german_header_in_another_order_with_semicolons_and_a_bom_is_read():
    data = ("\ufeffBenutzer;Passwort;Server;Ziel;Verschlüsselung\r\n"
            "info@firma.example; Grüße 1 ;pop.provider.example;Jörg;STARTTLS\r\n").encode()
    result = read_fetch_accounts_csv(data, USERS)
    assert accounts_of(result) == [
        (2, "pop3", "pop.provider.example", 110, "starttls", "info@firma.example", " Grüße 1 ",
         "Jörg", "3"),
    ]
    assert (result.separator, result.had_header) == (";", True)


def test_without_a_header_seven_or_six_columns_are_taken_in_the_documented_order():
    data = (b"imap,mail.example,993,tls,a,pw1,jdoe\n"
            b"mail.example,995,,b,pw2,jdoe\n")
    result = read_fetch_accounts_csv(data)
    assert [(r.account.protocol, r.account.port, r.account.tls, r.target_key)
            for r in result.rows] == [
        (Protocol.IMAP, 993, TlsMode.TLS, ""),
        (Protocol.POP3, 995, TlsMode.TLS, ""),
    ]
    assert result.had_header is False


@pytest.mark.parametrize(("port", "tls", "protocol", "expected"), [
    ("", "", "", (Protocol.POP3, 995, TlsMode.TLS)),
    ("110", "", "", (Protocol.POP3, 110, TlsMode.STARTTLS)),
    ("143", "", "", (Protocol.IMAP, 143, TlsMode.STARTTLS)),
    ("993", "", "", (Protocol.IMAP, 993, TlsMode.TLS)),
    ("", "no", "", (Protocol.POP3, 110, TlsMode.PLAIN)),
    ("", "", "IMAP", (Protocol.IMAP, 993, TlsMode.TLS)),
    ("", "starttls", "imap", (Protocol.IMAP, 143, TlsMode.STARTTLS)),
])
def test_what_is_left_empty_is_filled_in_safely(port, tls, protocol, expected):
    line = f"{protocol},pop.example,{port},{tls},a,pw,jdoe\n".encode()
    [row] = read_fetch_accounts_csv(line).rows
    assert (row.account.protocol, row.account.port, row.account.tls) == expected


def test_bad_rows_are_named_with_their_row_number_and_never_show_a_password():
    data = ("protocol,host,port,tls,login,password,target_user\n"
            "pop3,pop.example,995,tls,a,first-pw,jdoe\n"
            "pop3,,995,tls,b,pw,jdoe\n"
            "pop3,pop3s://pop.example,995,tls,c,pw,jdoe\n"
            "pop3,pop.example,99999,tls,d,pw,jdoe\n"
            "pop3,pop.example,995,maybe,e,pw,jdoe\n"
            "smtp,pop.example,995,tls,f,pw,jdoe\n"
            "pop3,pop.example,995,tls,g,,jdoe\n"
            "pop3,pop.example,995,tls,h,pw,\n"
            "pop3,pop.example,995,tls,i,pw,nobody\n"
            "pop3,pop.example,995,tls,,pw,jdoe\n"
            "pop3,POP.example,995,tls,A,second-pw,asmith\n"
            "pop3,pop.example,995,tls,j,pw,jdoe,extra\n")
    result = read_fetch_accounts_csv(data.encode(), USERS)
    assert [str(p) for p in result.problems] == [
        "Row 2: “a” at pop.example is listed twice: rows 2, 12",
        "Row 3: the host is empty",
        "Row 4: “pop3s://pop.example” is no host name: give the name only, e.g. "
        "pop.provider.example",
        "Row 5: “99999” is no port number",
        "Row 6: “maybe” is no TLS setting; write tls, starttls or plain",
        "Row 7: “smtp” is no protocol setting; write pop3 or imap",
        "Row 8: the password for “g” is empty",
        "Row 9: the target user for “h” is empty",
        "Row 10: no user “nobody” among the users who move to the Intra2net server",
        "Row 11: the login for pop.example is empty",
        "Row 12: “A” at POP.example is listed twice: rows 2, 12",
        "Row 13: 8 columns, but the header names 7",
    ]
    assert result.rows == ()
    assert not any("pw" in str(p) for p in result.problems)


def test_a_row_of_another_width_without_header_says_what_is_expected():
    result = read_fetch_accounts_csv(b"pop.example,info,pw\n")
    assert [str(p) for p in result.problems] == [
        "Row 1: 3 columns instead of 7 (protocol, host, port, tls, login, password, "
        "target_user); or start the file with a header line naming them"
    ]


def test_a_file_that_is_not_utf8_or_empty_is_refused_as_a_whole():
    with pytest.raises(BadArguments, match="not UTF-8 text"):
        read_fetch_accounts_csv("pop.example,Jörg\n".encode("cp1252"))
    with pytest.raises(BadArguments, match="empty"):
        read_fetch_accounts_csv(b"\xef\xbb\xbf \r\n")


ACCOUNTS = [
    FetchAccount(Protocol.POP3, "pop.provider.example", 995, TlsMode.TLS, "info@firma.example",
                 'pa,ss"word', "jdoe"),
    FetchAccount(Protocol.IMAP, "imap.provider.example", 143, TlsMode.STARTTLS, "vertrieb",
                 "=SUM(A1)", "asmith"),
]


def test_the_export_leaves_passwords_out_unless_asked():
    assert write_fetch_accounts_csv(ACCOUNTS) == (
        "protocol,host,port,tls,login,password,target_user\r\n"
        "pop3,pop.provider.example,995,tls,info@firma.example,,jdoe\r\n"
        "imap,imap.provider.example,143,starttls,vertrieb,,asmith\r\n"
    )


def test_an_export_with_passwords_reads_back_as_the_same_accounts():
    written = write_fetch_accounts_csv(ACCOUNTS, include_passwords=True)
    result = read_fetch_accounts_csv(written.encode(), USERS)
    assert [row.account for row in result.rows] == ACCOUNTS
    assert result.problems == ()


def test_an_account_never_shows_its_password_in_repr():
    assert "pa,ss" not in repr(ACCOUNTS[0])
    assert str(ACCOUNTS[0]) == "info@firma.example (pop3, pop.provider.example:995)"
