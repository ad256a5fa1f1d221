"""`manage.py convertaddresses [--directory FILE | --migration ID] INPUT... --output-dir DIR
[--report FILE] [--exact-only]`

Replaces Exchange's internal addresses (legacyExchangeDN, X500, IMCEAEX) in Outlook's exports
(.vcf, .ics, .csv) by SMTP addresses. The map comes from FILE, the JSON `importdirectory
--json` prints, or else from the directory imported in the wizard (the most recent migration,
or --migration ID). Each INPUT is written to DIR under the same name; the report is JSON:
`{"files": [{"name", "kind", "replaced", "unresolved": [...], "replacements": [...]}]}`, an
unreadable file has `"error"` instead. The report is in English whatever the language; the
lines for the admin on stdout and stderr are in the language of the installation.

Exit status: 0 when every address was resolved, 1 when some stayed as they were, 2 when an
input could not be read (one line on stderr per file; the others are still converted) or the
directory cannot be loaded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from migrator.address_conversion import convert_file
from migrator.errors import MigratorError
from migrator.internal_addresses import AddressMap, build_address_map
from migrator.text import say
from wizard.recorded import recorded

EXIT_UNRESOLVED = 1
EXIT_UNREADABLE = 2


class Command(BaseCommand):
    requires_system_checks = []
    requires_migrations_checks = False

    # A property, so that --help reads in the installation's language (argparse cannot take
    # gettext_lazy's strings).
    @property
    def help(self) -> str:
        return _(
            "Replace Exchange's internal addresses in .vcf, .ics and .csv files by SMTP addresses."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "inputs", nargs="+", metavar="INPUT", help=_(".vcf, .ics or .csv files")
        )
        parser.add_argument(
            "--output-dir",
            required=True,
            metavar="DIR",
            help=_("where the converted files go, under their own names"),
        )
        source = parser.add_mutually_exclusive_group()
        source.add_argument(
            "--directory", metavar="FILE", help=_("the JSON printed by “importdirectory --json”")
        )
        source.add_argument(
            "--migration",
            type=int,
            metavar="ID",
            help=_("use the directory imported in this migration (default: the most recent one)"),
        )
        parser.add_argument("--report", metavar="FILE", help=_("write the JSON report here"))
        parser.add_argument(
            "--exact-only",
            action="store_true",
            help=_("never match a DN while ignoring Exchange's -<hex> suffix"),
        )

    def handle(self, *args, **options):
        try:
            addresses = self._addresses(options)
        except MigratorError as e:
            self._fail(f"convertaddresses: {recorded(str(e))}")
        output = Path(options["output_dir"])
        output.mkdir(parents=True, exist_ok=True)
        files, unreadable, unresolved = [], False, False
        written: set[str] = set()
        for name in options["inputs"]:
            entry = self._convert(Path(name), output, addresses, written, options["exact_only"])
            files.append(entry)
            unreadable |= "error" in entry
            unresolved |= bool(entry.get("unresolved"))
        if options["report"]:
            Path(options["report"]).parent.mkdir(parents=True, exist_ok=True)
            Path(options["report"]).write_text(
                json.dumps({"files": files}, ensure_ascii=False, indent=2) + "\n",
                encoding="utf-8",
            )
        if unreadable:
            sys.exit(EXIT_UNREADABLE)
        if unresolved:
            sys.exit(EXIT_UNRESOLVED)

    def _convert(
        self, path: Path, output: Path, addresses: AddressMap, written: set[str], exact: bool
    ) -> dict:
        target = output / path.name
        try:
            if path.name in written:
                raise MigratorError(
                    say("another input is named {name} too; it was not written", name=path.name)
                )
            if target.exists() and target.resolve() == path.resolve():
                raise MigratorError(
                    say("the output directory is where the input is; choose another")
                )
            try:
                data = path.read_bytes()
            except OSError as e:
                raise MigratorError(
                    say("cannot be read ({reason})", reason=e.strerror or e)
                ) from None
            conversion = convert_file(path.name, data, addresses, allow_suffix=not exact)
        except MigratorError as e:
            self.stderr.write(f"convertaddresses: {path}: {recorded(str(e))}")
            return {"name": path.name, "replaced": 0, "unresolved": [], "error": str(e)}
        target.write_bytes(conversion.data)
        written.add(path.name)
        report = conversion.report
        self.stdout.write(
            _("%(name)s: %(replaced)d replaced, %(unresolved)d unresolved")
            % {
                "name": report.name,
                "replaced": report.replaced,
                "unresolved": len(report.unresolved),
            }
        )
        for replacement in report.suffix_matches:
            self.stdout.write(
                f"  {recorded(replacement.where)}: {replacement.address} ("
                + _("matched without Exchange's suffix: please check")
                + ")"
            )
        for item in report.unresolved:
            self.stdout.write(f"  {recorded(item.where)}: {item.address}: {recorded(item.reason)}")
        return report.to_json()

    def _addresses(self, options) -> AddressMap:
        if options["directory"]:
            path = Path(options["directory"])
            try:
                directory = json.loads(path.read_text(encoding="utf-8-sig"))
            except OSError as e:
                raise MigratorError(
                    say("cannot read {path}: {reason}", path=path, reason=e.strerror or e)
                ) from None
            except ValueError as e:
                raise MigratorError(
                    say("{path} is not JSON: {problem}", path=path, problem=e)
                ) from None
            return build_address_map(directory)
        return build_address_map(_imported_directory(options["migration"]))

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        sys.exit(EXIT_UNREADABLE)


def _imported_directory(migration_id: int | None) -> dict:
    """The directory imported in the wizard (wizard.directory_store.directory_json) of the
    given migration, or of the most recent one."""
    from wizard.directory_store import directory_json
    from wizard.models import Migration

    migrations = Migration.objects.all()
    migration = (
        migrations.filter(pk=migration_id).first()
        if migration_id is not None
        else migrations.order_by("-created_at", "-pk").first()
    )
    if migration is None and migration_id is not None:
        raise MigratorError(
            say(
                "no migration {number} in the database; give --directory FILE instead",
                number=migration_id,
            )
        )
    if migration is None:
        raise MigratorError(say("no migration in the database; give --directory FILE instead"))
    directory = directory_json(migration)
    if not directory["users"]:
        raise MigratorError(
            say(
                "the migration “{name}” has no imported directory; import it in the wizard or "
                "give --directory FILE",
                name=migration,
            )
        )
    return directory
