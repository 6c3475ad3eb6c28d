"""Papers keep when they became discussed (PaperQuerySet.refresh_discussed), so the papers
index walks its own order instead of checking every paper's notes."""

from django.db import migrations, models


def fill(apps, schema_editor):
    # The derive step's computation, on this migration's models: the earliest publish time
    # among the published notes listing or citing each paper.
    Note, Paper, NotePaper = (apps.get_model("notes", name) for name in ("Note", "Paper", "NotePaper"))
    published = Note.objects.filter(status="published", published_at__isnull=False)
    first = {}
    for model in (NotePaper, Note.cites.through):
        rows = (
            model.objects.filter(note__in=published)
            .order_by()
            .values("paper")
            .annotate(first=models.Min("note__published_at"))
            .values_list("paper", "first")
        )
        for paper, when in rows:
            first[paper] = min(when, first.get(paper, when))
    Paper.objects.bulk_update(
        [Paper(pk=pk, discussed_since=when) for pk, when in first.items()],
        ["discussed_since"],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0021_preview_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="discussed_since",
            field=models.DateTimeField(
                editable=False,
                help_text="When the first published note listing or citing it goes public; "
                "kept by the derive step (PaperQuerySet.refresh_discussed), never edited.",
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="paper",
            index=models.Index(
                models.OrderBy(models.F("year"), descending=True),
                models.F("venue"),
                models.F("title"),
                models.F("id"),
                name="paper_index_order",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
