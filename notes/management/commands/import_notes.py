"""``import_notes``: Markdown files with YAML front matter saved as notes."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from notes import derive
from notes.importexport import import_paths


class Command(BaseCommand):
    help = (
        "Import Markdown files with YAML front matter (files or folders). Re-importing a file "
        "updates the note with the same slug. Broken files are reported; the rest still import."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="Markdown files or folders")
        parser.add_argument(
            "--fetch",
            action="store_true",
            help="Fetch from arXiv or Crossref the details of papers named only by an "
            "identifier (paper: arxiv:2106.09685) that the site does not have yet.",
        )

    def handle(self, *args, paths: list[Path], fetch: bool = False, **options) -> None:
        with derive.site_once():  # each file commits alone; the site is counted once
            report = import_paths(paths, fetch=fetch)
        if (report.created or report.updated) and connection.vendor == "postgresql":
            # Fresh statistics for the rows just written: planned on an empty table's, list
            # pages sort every note instead of walking the newest twenty.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        for path, message in report.notices:
            self.stdout.write(f"note: {path}: {message}")
        for path, message in report.errors:
            self.stderr.write(self.style.ERROR(f"error: {path}: {message}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.errors)} failed."
            )
        )
        if report.errors:
            raise CommandError(f"{len(report.errors)} file(s) could not be imported (see above).")
