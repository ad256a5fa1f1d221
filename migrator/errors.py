"""The engine's one error hierarchy. Every message is meant for a person and never holds a
password."""

from __future__ import annotations


class MigratorError(Exception):
    """Something the admin has to know about; str() is one sentence saying what to do."""


class TransientError(MigratorError):
    """Worth a retry: a dropped connection, throttling."""


class PermanentError(MigratorError):
    """Retrying will not help until somebody changes something."""


class ConnectionLost(TransientError):
    pass


class Throttled(TransientError):
    def __init__(self, message: str, backoff_seconds: float) -> None:
        super().__init__(message)
        self.backoff_seconds = backoff_seconds


class ServerUnreachable(PermanentError):
    pass


class TlsFailed(PermanentError):
    pass


class LoginRefused(PermanentError):
    pass


class BadArguments(PermanentError):
    pass


class CommandRefused(PermanentError):
    """The server answered NO or BAD to a command that has no per-message fallback."""
