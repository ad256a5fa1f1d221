"""Passwords of mail and directory accounts, encrypted at rest with MultiFernet.

A stored password comes back from the database as a `Secret`, whose text form is a mask: it
can reach a template, a log line or an exception message without giving anything away. Only
`reveal()` gives the plain text, and only the code that logs in calls it.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

MASK = "••••••••"


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __str__(self) -> str:
        return MASK if self._value else ""

    def __repr__(self) -> str:
        return "Secret(•••)"


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in settings.SECRETS_ENCRYPTION_KEYS])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "A stored password cannot be decrypted: SECRETS_ENCRYPTION_KEYS lacks the key it "
            "was written with."
        ) from None


def rotate(token: str) -> str:
    """The token re-encrypted with the newest key."""
    return _fernet().rotate(token.encode()).decode()


class SecretField(models.TextField):
    """A password stored as a Fernet token; empty means none was given."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return Secret(decrypt(value) if value else "")

    def to_python(self, value):
        if value is None or isinstance(value, Secret):
            return value
        return Secret(value)

    def get_prep_value(self, value):
        if value is None:
            return None
        plain = value.reveal() if isinstance(value, Secret) else str(value)
        return encrypt(plain) if plain else ""

    def value_to_string(self, obj):
        return MASK
