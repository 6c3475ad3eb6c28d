from django.core.management.base import BaseCommand

from notes.models import Note


class Command(BaseCommand):
    help = "Re-render every note's stored HTML and excerpt after the rendering pipeline changed."

    def handle(self, *args, **options) -> None:
        count = 0
        for note in Note.objects.iterator(chunk_size=500):
            before = (note.body_html, note.excerpt)
            note.render()
            if (note.body_html, note.excerpt) != before:
                # update() keeps updated_at: a pipeline change is not an edit readers should see.
                Note.objects.filter(pk=note.pk).update(
                    body_html=note.body_html,
                    excerpt=note.excerpt,
                    render_warnings=note.render_warnings,
                )
                count += 1
        self.stdout.write(self.style.SUCCESS(f"Re-rendered {count} changed notes."))
