"""The password list an admin uploads, and the account files written for the Intra2net server."""

from __future__ import annotations

import csv
import io

import pytest

from migrator.accounts_csv import (
    AccountRow,
    GroupRow,
    read_password_csv,
    write_accounts_csv,
    write_groups_csv,
)
from migrator.errors import BadArguments

KNOWN = {"jdoe": "1", "jdoe@corp.example": "1", "asmith": "2", "bmüller": "3"}


def rows_of(result) -> list[tuple[int, str, str]]:
    return [(row.row, row.key, row.password) for row in result.rows]


def test_it_reads_comma_separated_rows_without_a_header():
    result = read_password_csv(b"jdoe,s3cret\nasmith,pa ss\n", KNOWN)
    assert rows_of(result) == [(1, "1", "s3cret"), (2, "2", "pa ss")]
    assert result.problems == ()
    assert (result.separator, result.had_header) == (",", False)


def test_it_reads_semicolons_a_header_and_a_byte_order_mark():
    data = "\ufeffUsername;Password\r\njdoe;a,b\r\nBMüller;Grüße!\r\n".encode()
    result = read_password_csv(data, KNOWN)
    assert rows_of(result) == [(2, "1", "a,b"), (3, "3", "Grüße!")]
    assert (result.separator, result.had_header) == (";", True)


def test_a_quoted_password_may_hold_the_separator_and_spaces_are_kept():
    result = read_password_csv(b'jdoe,"x,y;z"\nasmith, lead\n', KNOWN)
    assert rows_of(result) == [(1, "1", "x,y;z"), (2, "2", " lead")]


def test_a_user_may_be_named_by_any_known_login_case_insensitively():
    result = read_password_csv(b"JDOE@corp.example,pw\n", KNOWN)
    assert rows_of(result) == [(1, "1", "pw")]


def test_bad_rows_are_named_with_their_row_number():
    data = "username,password\njdoe,one\nnobody,x\nasmith,\n,lonely\njdoe,two\nbmüller,a,b\n\n"
    result = read_password_csv(data.encode(), KNOWN)
    assert [str(p) for p in result.problems] == [
        "Row 2: “jdoe” is a duplicate: the same user is in rows 2, 6",
        "Row 3: no user “nobody” in the directory import",
        "Row 4: the password for “asmith” is empty",
        "Row 5: the username is empty",
        "Row 6: “jdoe” is a duplicate: the same user is in rows 2, 6",
        "Row 7: 3 columns instead of 2; put a password that contains “,” in double quotes",
    ]
    assert result.rows == ()


def test_a_duplicate_named_two_ways_is_still_a_duplicate():
    result = read_password_csv(b"jdoe,one\nasmith,fine\njdoe@corp.example,two\n", KNOWN)
    assert rows_of(result) == [(2, "2", "fine")]
    assert [p.row for p in result.problems] == [1, 3]


def test_a_file_that_is_not_utf8_is_refused_as_a_whole():
    with pytest.raises(BadArguments, match=r"not UTF-8 text .*line 2"):
        read_password_csv("jdoe,x\nbmüller,y\n".encode("cp1252"), KNOWN)


def test_an_empty_file_is_refused():
    with pytest.raises(BadArguments, match="empty"):
        read_password_csv(b"\n \n", KNOWN)


def test_passwords_do_not_show_in_the_rows_repr():
    result = read_password_csv(b"jdoe,TopSecret1\n", KNOWN)
    assert "TopSecret1" not in repr(result)


def test_the_accounts_file_has_field_names_first_and_one_user_a_line():
    text = write_accounts_csv([
        AccountRow("jdoe", "Doe, John", "John", "Doe", "john@corp.example",
                   ("jd@corp.example", "j.doe@corp.example"), ("Sales", "EMEA Sales")),
    ])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["login", "display_name", "first_name", "last_name", "email", "aliases", "groups",
         "imceaex_aliases"],
        ["jdoe", "Doe, John", "John", "Doe", "john@corp.example",
         "jd@corp.example;j.doe@corp.example", "Sales;EMEA Sales", ""],
    ]


def test_the_imceaex_aliases_are_the_last_column():
    text = write_accounts_csv([
        AccountRow("jdoe", "", "", "", "", (), (),
                   imceaex_aliases=("IMCEAEX-_o=Corp_cn=jdoe@corp.example",
                                    "IMCEAEX-_o=Old_cn=jdoe@corp.example")),
    ])
    assert list(csv.reader(io.StringIO(text)))[1][-1] == (
        "IMCEAEX-_o=Corp_cn=jdoe@corp.example;IMCEAEX-_o=Old_cn=jdoe@corp.example"
    )


def test_the_groups_file_lists_members_by_login_and_defuses_formulas():
    text = write_groups_csv([GroupRow("=cmd()", "", (), ("asmith", "jdoe"))])
    assert list(csv.reader(io.StringIO(text))) == [
        ["group", "email", "aliases", "members"], ["'=cmd()", "", "", "asmith;jdoe"],
    ]
