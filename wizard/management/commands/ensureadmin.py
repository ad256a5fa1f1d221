"""Create a first migration admin when there is none, and print its password once."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from wizard.roles import GROUP_NAMES, Role, give_role


class Command(BaseCommand):
    # A property, so that --help reads in the installation's language (argparse cannot take
    # gettext_lazy's strings).
    @property
    def help(self) -> str:
        return _(
            "Create the account 'admin' with a generated password if no migration admin exists."
        )

    def handle(self, **options):
        User = get_user_model()
        admins = Group.objects.filter(name=GROUP_NAMES[Role.ADMIN], user__is_active=True)
        if admins.exists() or User.objects.filter(is_superuser=True, is_active=True).exists():
            return
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user = User.objects.create_user("admin", password=password)
            give_role(user, Role.ADMIN)
        self.stdout.write(
            _(
                "\n  First admin account created. Log in as  admin  with password  %(password)s\n"
                "  (shown only now; change it with `manage.py changepassword admin`)\n"
            )
            % {"password": password}
        )
