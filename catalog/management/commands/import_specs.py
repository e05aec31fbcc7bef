from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.spec.importer import ImportFailed, import_paths


class Command(BaseCommand):
    help = "Import plumbline/v1 spec files or folders; all or nothing, upserting by kind and key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="YAML files or folders holding them")
        parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")

    def handle(self, *args: Any, paths: list[str], dry_run: bool, **options: Any) -> None:
        try:
            report = import_paths(paths, dry_run=dry_run)
        except ImportFailed as failed:
            for error in failed.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(failed.errors)} error(s); nothing was imported") from None
        verbose = dry_run or int(options.get("verbosity", 1)) > 1
        if verbose:
            would = "would " if dry_run else ""
            for label, rows in (("create", report.created), ("update", report.updated)):
                for kind, key in rows:
                    self.stdout.write(f"{would}{label} {kind.lower()} {key}")
            for kind, key in report.unchanged:
                self.stdout.write(f"{'would leave' if dry_run else 'left'} {kind.lower()} {key} unchanged")
        for last in report.overwrites:
            replaces = "would replace" if dry_run else "replaced"
            subject = f"{last.kind.lower()} {last.key}"
            self.stdout.write(f"warning: {subject} was last {last.describe()}; this import {replaces} that change")
        self.stdout.write(("Dry run: " if dry_run else "Imported: ") + report.summary())
