"""`manage.py adduser NAME --role admin|helpdesk [--password-env VAR]`."""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from wizard.roles import Role, give_role


class Command(BaseCommand):
    help = "Create an account for a migration admin or a helpdesk member."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env", metavar="VAR", help="read the password from this variable"
        )

    def handle(self, name, role, email, password_env, **options):
        User = get_user_model()
        if User.objects.filter(username__iexact=name).exists():
            raise CommandError(f"an account named {name!r} exists already")
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"the variable {password_env} is not set or empty")
        else:
            password = getpass.getpass(f"Password for {name}: ")
            if password != getpass.getpass("Again: "):
                raise CommandError("the two passwords differ")
        user = User(username=name, email=email)
        try:
            validate_password(password, user)
        except ValidationError as e:
            raise CommandError("weak password: " + " ".join(e.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            give_role(user, Role(role))
        self.stdout.write(f"Created {name} ({Role(role).label}).")
