"""`manage.py importdirectory --url ldaps://host:636 --bind USER --password-env VAR --base-dn DN
[--filter F] [--ca-file FILE] [--insecure] [--tls-name NAME] [--plain] --json`

Reads users, groups and contacts from Active Directory and prints them; stores nothing. Exit
status 0 on success, 2 when the server cannot be reached or the bind is refused (one line on
stderr, no traceback).
"""

from __future__ import annotations

import json
import os
import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from migrator.directory import ImportOptions, import_directory
from migrator.directory_session import DirectoryBind, LdapSecurity, parse_ldap_url
from migrator.errors import MigratorError
from wizard.recorded import recorded

EXIT_FAILED = 2


class Command(BaseCommand):
    requires_system_checks = []
    requires_migrations_checks = False

    # A property, so that --help reads in the installation's language (argparse cannot take
    # gettext_lazy's strings).
    @property
    def help(self) -> str:
        return _("Read users, groups and contacts from Active Directory and print them.")

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help=_("ldaps://host:636 or ldap://host:389"))
        parser.add_argument(
            "--bind", required=True, help=_("user@domain (UPN), DOMAIN\\user or a DN")
        )
        parser.add_argument(
            "--password-env",
            required=True,
            metavar="VAR",
            help=_("the variable holding the bind password"),
        )
        parser.add_argument("--base-dn", required=True, help=_("where to search"))
        parser.add_argument("--filter", default="", help=_("an LDAP filter narrowing the users"))
        parser.add_argument("--ca-file", help=_("the CA certificate(s) that signed the server's"))
        parser.add_argument(
            "--insecure", action="store_true", help=_("do not verify the server's certificate")
        )
        parser.add_argument(
            "--tls-name",
            help=_("the name on the certificate, when --url uses another one (an IP address)"),
        )
        parser.add_argument(
            "--plain",
            action="store_true",
            help=_("ldap:// without StartTLS: password and data unencrypted"),
        )
        parser.add_argument(
            "--keep-system-accounts",
            action="store_true",
            help=_("import krbtgt, HealthMailbox… and the like as users"),
        )
        parser.add_argument(
            "--page-size",
            type=int,
            default=500,
            help=_("entries per page (default: %(default)s)"),
        )
        parser.add_argument("--json", action="store_true", help=_("print one JSON object"))

    def handle(self, *args, **options):
        try:
            snapshot = self._import(options)
        except MigratorError as e:
            self.stderr.write(f"importdirectory: {recorded(str(e))}")
            sys.exit(EXIT_FAILED)
        if options["json"]:
            self.stdout.write(json.dumps(snapshot.to_json(), ensure_ascii=False))
            return
        for user in snapshot.users:
            flag = " " + _("(disabled)") if user.disabled else ""
            self.stdout.write(f"{user.sam}\t{user.primary or '-'}\t{user.display_name}{flag}")
        users, groups = len(snapshot.users), len(snapshot.groups)
        contacts, left_out = len(snapshot.contacts), len(snapshot.left_out)
        parts = (
            ngettext("%(count)d user", "%(count)d users", users) % {"count": users},
            ngettext("%(count)d group", "%(count)d groups", groups) % {"count": groups},
            ngettext("%(count)d contact", "%(count)d contacts", contacts) % {"count": contacts},
            _("%(count)d left out") % {"count": left_out},
        )
        self.stdout.write(", ".join(parts))

    def _import(self, options):
        password = os.environ.get(options["password_env"] or "")
        if not password:
            raise MigratorError(
                _("the variable %(variable)s is not set or empty")
                % {"variable": options["password_env"]}
            )
        endpoint = parse_ldap_url(
            options["url"],
            plain=options["plain"],
            ca_file=options["ca_file"],
            insecure=options["insecure"],
            tls_name=options["tls_name"],
        )
        if endpoint.security == LdapSecurity.PLAIN:
            self.stderr.write(
                "importdirectory: "
                + _(
                    "warning: plain LDAP, the password and the directory's data cross the "
                    "network unencrypted"
                )
            )
        return import_directory(
            endpoint,
            DirectoryBind(options["bind"], password),
            options=ImportOptions(
                base_dn=options["base_dn"],
                user_filter=options["filter"],
                page_size=options["page_size"],
                keep_system_accounts=options["keep_system_accounts"],
            ),
        )
