from django.core.management.base import BaseCommand
from django.db import transaction

from notes.models import Note, SearchDocument


class Command(BaseCommand):
    help = "Rebuild the search index of every note (after a tokenizer change, or to repair it)."

    def handle(self, *args, **options) -> None:
        total = 0
        with transaction.atomic():
            # Documents of notes that no longer exist cannot survive (cascade), but a rebuild
            # starts clean all the same: what it writes is exactly what the notes say now.
            SearchDocument.objects.all().delete()
            for note in Note.objects.iterator(chunk_size=500):
                note.update_search_document()
                total += 1
        self.stdout.write(self.style.SUCCESS(f"Indexed {total} notes for search."))
