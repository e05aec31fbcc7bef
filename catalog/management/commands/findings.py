from __future__ import annotations

import io
import json
import textwrap
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from catalog.rules import Finding, evaluate_estate
from catalog.rules.export import write_csv
from catalog.rules.finding import JSON_KEYS
from catalog.rules.store import active_waivers, at_or_above, split_waived


class Command(BaseCommand):
    help = (
        "Evaluate every governance rule over the estate now and print the findings (waived ones left out); "
        "with --fail-on, exit 1 when any is at or above that severity."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")
        parser.add_argument(
            "--fail-on", choices=["warning", "critical"], help="exit 1 when a finding is at or above this severity"
        )

    def handle(self, *args: Any, format: str, fail_on: str | None, **options: Any) -> None:
        now = timezone.now()
        findings, waived = split_waived(evaluate_estate(now=now), active_waivers(timezone.localdate(now)))
        if format == "json":
            self.stdout.write(json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False))
        elif format == "csv":
            out = io.StringIO()
            write_csv(out, JSON_KEYS, ([getattr(f, key) for key in JSON_KEYS] for f in findings))
            self.stdout.write(out.getvalue(), ending="")
        else:
            self.stdout.write(table(findings))
        if waived:
            self.stderr.write(f"{len(waived)} waived finding(s) not shown.")
        if fail_on and (failing := at_or_above(findings, fail_on)):
            raise CommandError(f"{len(failing)} finding(s) at or above {fail_on}", returncode=1)


def table(findings: list[Finding]) -> str:
    """A plain-text table for people: one line per finding, its remedy indented below."""
    if not findings:
        return "No findings."
    subjects = [f"{f.subject_type} {f.subject_key}" if f.subject_key else f.subject_type for f in findings]
    code_width = max(len(f.code) for f in findings)
    subject_width = max(len(s) for s in subjects)
    indent = " " * (10 + code_width + 2 + subject_width + 2)
    lines = [f"{'SEVERITY':<10}{'CODE':<{code_width + 2}}{'SUBJECT':<{subject_width + 2}}MESSAGE"]
    for finding, subject in zip(findings, subjects, strict=True):
        lines.append(
            f"{finding.severity:<10}{finding.code:<{code_width + 2}}{subject:<{subject_width + 2}}{finding.message}"
        )
        lines.append(textwrap.indent(f"-> {finding.remedy}", indent))
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("critical", "warning", "info")}
    lines.append("")
    lines.append(f"{len(findings)} finding(s): " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    return "\n".join(lines)
