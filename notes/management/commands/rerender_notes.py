from django.core.management.base import BaseCommand

from notes.models import Note


class Command(BaseCommand):
    help = "Re-render every note's stored HTML, excerpt, TOC, reading time and links."

    def handle(self, *args, **options) -> None:
        changed = total = 0
        for note in Note.objects.iterator(chunk_size=500):
            before = [getattr(note, name) for name in Note.RENDERED_FIELDS]
            # rerender() keeps updated_at: a pipeline change is not an edit readers should see.
            note.rerender()
            total += 1
            changed += before != [getattr(note, name) for name in Note.RENDERED_FIELDS]
        self.stdout.write(self.style.SUCCESS(f"Re-rendered {total} notes; {changed} changed."))
