"""Django's makemessages, also collecting the engine's sentences (migrator.text.say)."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [
        *makemessages.Command.xgettext_options,
        "--keyword=say",
        "--flag=say:1:python-brace-format",
    ]
