"""`manage.py adduser NAME --role admin|helpdesk [--password-env VAR]`."""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from wizard.roles import Role, give_role


class Command(BaseCommand):
    # A property, so that --help reads in the installation's language (argparse cannot take
    # gettext_lazy's strings).
    @property
    def help(self) -> str:
        return _("Create an account for a migration admin or a helpdesk member.")

    def add_arguments(self, parser):
        parser.add_argument("name", help=_("the account's login name"))
        parser.add_argument(
            "--role",
            required=True,
            choices=[r.value for r in Role],
            help=_("admin may change everything; helpdesk reads and signs off"),
        )
        parser.add_argument("--email", default="", help=_("the account's e-mail address"))
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help=_("read the password from this variable (else it is asked for twice)"),
        )

    def handle(self, name, role, email, password_env, **options):
        User = get_user_model()
        if User.objects.filter(username__iexact=name).exists():
            raise CommandError(_("an account named “%(name)s” exists already") % {"name": name})
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(
                    _("the variable %(variable)s is not set or empty") % {"variable": password_env}
                )
        else:
            password = getpass.getpass(_("Password for %(name)s: ") % {"name": name})
            if password != getpass.getpass(_("Again: ")):
                raise CommandError(_("the two passwords differ"))
        user = User(username=name, email=email)
        try:
            validate_password(password, user)
        except ValidationError as e:
            raise CommandError(
                _("weak password: %(why)s") % {"why": " ".join(e.messages)}
            ) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            give_role(user, Role(role))
        self.stdout.write(
            _("Created %(name)s (%(role)s).") % {"name": name, "role": Role(role).label}
        )
