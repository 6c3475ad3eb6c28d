"""``export_notes``: every note as Markdown with YAML front matter (the backup format)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from notes.importexport import export_notes


class Command(BaseCommand):
    help = "Write every note, drafts included, as Markdown with YAML front matter into DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options) -> None:
        count = export_notes(directory)
        self.stdout.write(self.style.SUCCESS(f"Exported {count} notes to {directory}."))
