"""``rerender_notes``: every body rendered again, after the pipeline changes."""

from django.core.management.base import BaseCommand
from django.db import transaction

from notes import derive
from notes.models import Note

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Render every note's body again and derive what depends on other objects: after a "
        "deploy that changes the rendering pipeline or notes.derive.VERSION."
    )

    def handle(self, *args, **options) -> None:
        changed = total = 0
        ids = list(Note.objects.order_by("pk").values_list("pk", flat=True))
        with derive.site_once():
            for start in range(0, len(ids), CHUNK):
                with transaction.atomic(), derive.batch():
                    for note in Note.objects.filter(pk__in=ids[start : start + CHUNK]):
                        before = [getattr(note, name) for name in Note.RENDERED_FIELDS]
                        # Keeps updated_at: a pipeline change is not an edit readers see.
                        note.rerender()
                        total += 1
                        changed += before != [getattr(note, name) for name in Note.RENDERED_FIELDS]
        self.stdout.write(self.style.SUCCESS(f"Re-rendered {total} notes; {changed} changed."))
