"""Papers become records of their own (issue 20): a link table from notes to papers, the new
paper fields, and what notes cite. The old per-note rows are merged by the next migration."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0016_note_updates"),
    ]

    operations = [
        migrations.CreateModel(
            name="NotePaper",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="position")),
                ("note", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="paper_links", to="notes.note")),
                ("paper", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="note_links", to="notes.paper", verbose_name="paper")),
            ],
            options={
                "verbose_name": "paper of the note",
                "verbose_name_plural": "papers of the note",
                "ordering": ["position", "id"],
            },
        ),
        # Nullable while the copies are merged, and so a rollback can split them again.
        migrations.AlterField(
            model_name="paper",
            name="note",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="papers", to="notes.note"),
        ),
        migrations.AddField(
            model_name="paper",
            name="abstract",
            field=models.TextField(blank=True, verbose_name="abstract"),
        ),
        # Unique once the merge has given every paper its key (0019).
        migrations.AddField(
            model_name="paper",
            name="key",
            field=models.CharField(blank=True, default="", max_length=100, verbose_name="citation key"),
        ),
        migrations.AddField(
            model_name="paper",
            name="pdf_url",
            field=models.URLField(blank=True, max_length=500, validators=[django.core.validators.URLValidator(schemes=["http", "https"])], verbose_name="PDF URL"),
        ),
        migrations.AddField(
            model_name="paper",
            name="published",
            field=models.DateField(blank=True, help_text="First publication date, if known.", null=True, verbose_name="published"),
        ),
        migrations.AddField(
            model_name="note",
            name="cites",
            field=models.ManyToManyField(blank=True, editable=False, help_text="The papers its text cites ([@key]), from its rendering.", related_name="cited_by", to="notes.paper"),
        ),
    ]
