from django.core.management.base import BaseCommand
from django.db import connection, transaction

from notes.models import Note, SearchDocument

BATCH = 500


class Command(BaseCommand):
    help = "Rebuild the search index of every note (after a tokenizer change, or to repair it)."

    def handle(self, *args, **options) -> None:
        total = 0
        with transaction.atomic():
            # A rebuild starts clean: what it writes is exactly what the notes say now.
            SearchDocument.objects.all().delete()
            notes = Note.objects.select_related("category").prefetch_related(
                "tags__aliases", "papers"
            )
            batch: list[SearchDocument] = []
            for note in notes.order_by("pk").iterator(chunk_size=BATCH):
                batch.append(
                    note.build_search_document(
                        tags=list(note.tags.all()),
                        papers=list(note.papers.all()),
                        category=note.category,
                    )
                )
                if len(batch) >= BATCH:
                    total += len(SearchDocument.objects.bulk_create(batch))
                    batch = []
            total += len(SearchDocument.objects.bulk_create(batch))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the planner's estimates follow the new index
                cursor.execute("ANALYZE notes_searchdocument")
        self.stdout.write(self.style.SUCCESS(f"Indexed {total} notes for search."))
