from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalog.spec.exporter import export_to


class Command(BaseCommand):
    help = "Export the estate as plumbline/v1 files below DIR (import_specs reads them back unchanged)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="delete files an earlier export wrote for documents no longer in the estate",
        )

    def handle(self, *args: Any, directory: str, prune: bool, **options: Any) -> None:
        report = export_to(directory, prune=prune)
        self.stdout.write(f"Exported {report.documents} documents in {report.files} files to {directory}")
        if report.stale and prune:
            self.stdout.write(f"Deleted {len(report.stale)} files of documents no longer in the estate:")
        elif report.stale:
            self.stdout.write(
                f"{len(report.stale)} files from an earlier export hold documents no longer in the estate "
                "(importing the folder would bring them back; --prune deletes them):"
            )
        for path in report.stale:
            self.stdout.write(f"  {path}")
