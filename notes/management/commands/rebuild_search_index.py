"""``rebuild_search_index``: every note's search document written again."""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from notes.models import Note, SearchDocument

BATCH = 500


class Command(BaseCommand):
    help = "Rebuild the search index of every note (after a tokenizer change, or to repair it)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reparse",
            action="store_true",
            help="Extract every body's text from its HTML again instead of reusing the stored "
            "text (needed only if the text extraction itself changed; slower).",
        )

    def handle(self, *args, reparse: bool = False, **options) -> None:
        total = 0
        notes = Note.objects.select_related("category").prefetch_related(
            "tags__aliases", "paper_links__paper"
        )
        ids = list(Note.objects.order_by("pk").values_list("pk", flat=True))
        with transaction.atomic():
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                # The stored plain text is what save() extracted from the current HTML:
                # rerender() and save() rewrite it whenever the HTML changes.
                texts = (
                    {}
                    if reparse
                    else dict(
                        SearchDocument.objects.filter(note__in=chunk).values_list("note", "text")
                    )
                )
                documents = [
                    SearchDocument.for_note(
                        note,
                        tags=list(note.tags.all()),
                        papers=[link.paper for link in note.paper_links.all()],
                        category=note.category,
                        text=texts.get(note.pk),
                    )
                    for note in notes.filter(pk__in=chunk)
                ]
                SearchDocument.objects.filter(note__in=chunk).delete()
                total += len(SearchDocument.objects.bulk_create(documents))
            # Documents whose note is gone cannot exist (cascade); nothing else to clean.
        if connection.vendor == "postgresql":
            # Every row was rewritten: reclaim the old ones and mark the pages all-visible, so
            # counting matches reads the GIN index without visiting the table (VACUUM cannot
            # run inside a caller's transaction: then statistics only).
            vacuum = "" if connection.in_atomic_block else "VACUUM "
            with connection.cursor() as cursor:
                cursor.execute(f"{vacuum}ANALYZE notes_searchdocument")
        self.stdout.write(self.style.SUCCESS(f"Indexed {total} notes for search."))
