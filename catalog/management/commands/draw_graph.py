from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.graph.drawing import draw
from catalog.graph.render import RenderError
from catalog.graph.view import MAX_DEPTH, GraphFilter, UnknownSystem


class Command(BaseCommand):
    help = "Draw the estate's dependency graph with graphviz (to stdout, or to --out FILE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["svg", "png", "dot"], default="svg")
        parser.add_argument("--system", default="", help="Only this system and its neighbours (a system key).")
        parser.add_argument(
            "--depth", type=int, default=1, help=f"With --system: how many integrations away (1-{MAX_DEPTH})."
        )
        parser.add_argument("--out", default="", help="Write to this file instead of stdout.")
        parser.add_argument("--hubs", action="store_true", help="Draw iPaaS platforms as hubs.")
        parser.add_argument("--blast", default="", help="Highlight this system's blast radius (a system key).")

    def handle(self, *args: Any, **options: Any) -> None:
        depth: int = options["depth"]
        if not 1 <= depth <= MAX_DEPTH:
            raise CommandError(f"--depth must be between 1 and {MAX_DEPTH}.")
        graph_filter = GraphFilter(system=options["system"], depth=depth, hubs=options["hubs"], blast=options["blast"])
        try:
            data = draw(graph_filter, options["format"])
        except UnknownSystem as exc:
            raise CommandError(f"No system with the key {exc}.") from exc
        except RenderError as exc:
            raise CommandError(str(exc)) from exc
        if options["out"]:
            Path(options["out"]).write_bytes(data)
            self.stderr.write(f"Wrote {options['format']} ({len(data)} bytes) to {options['out']}")
        elif options["format"] == "png":
            buffer = getattr(self.stdout._out, "buffer", None)  # the binary side of the text stream
            if buffer is None:
                raise CommandError("PNG is binary: write it with --out FILE.")
            self.stdout.flush()
            buffer.write(data)
            buffer.flush()
        else:
            self.stdout.write(data.decode("utf-8"), ending="")
