from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalog.spec.exporter import export_to


class Command(BaseCommand):
    help = "Export the estate as plumbline/v1 files below DIR (import_specs reads them back unchanged)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory")

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        report = export_to(directory)
        self.stdout.write(f"Exported {report.documents} documents in {report.files} files to {directory}")
