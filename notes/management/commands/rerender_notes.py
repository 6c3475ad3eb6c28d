from django.core.management.base import BaseCommand
from django.db import transaction

from notes import derive
from notes.models import Note


class Command(BaseCommand):
    help = (
        "Render every note's body again and derive what depends on other objects: after a "
        "deploy that changes the rendering pipeline or notes.derive.VERSION."
    )

    def handle(self, *args, **options) -> None:
        changed = total = 0
        with transaction.atomic(), derive.batch():
            for note in Note.objects.iterator(chunk_size=500):
                before = [getattr(note, name) for name in Note.RENDERED_FIELDS]
                # rerender() keeps updated_at: a pipeline change is not an edit readers see.
                note.rerender()
                total += 1
                changed += before != [getattr(note, name) for name in Note.RENDERED_FIELDS]
        self.stdout.write(self.style.SUCCESS(f"Re-rendered {total} notes; {changed} changed."))
