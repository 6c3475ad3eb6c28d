"""Papers are records of their own: no note or position on a paper, one record per arXiv id
and per DOI, a unique citation key, and notes reach their papers through NotePaper."""

import django.core.validators
import notes.papers
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0018_merge_papers"),
    ]

    operations = [
        migrations.RemoveField(model_name="paper", name="note"),
        migrations.RemoveField(model_name="paper", name="position"),
        migrations.AlterModelOptions(
            name="paper",
            options={"ordering": ["-year", "title", "id"], "verbose_name": "paper", "verbose_name_plural": "papers"},
        ),
        migrations.AlterField(
            model_name="paper",
            name="key",
            field=models.CharField(blank=True, help_text="Cite it in a note as [@key]. Left blank, it is made from the first author, the year and the title (hu2021lora).", max_length=100, unique=True, validators=[django.core.validators.RegexValidator("^[A-Za-z][A-Za-z0-9_-]*\\Z", "Letters, digits, - and _, starting with a letter (e.g. hu2021lora).")], verbose_name="citation key"),
        ),
        migrations.AlterField(
            model_name="paper",
            name="arxiv",
            field=models.CharField(blank=True, help_text="2106.09685, arXiv:2106.09685v2 or an arxiv.org URL; stored as the bare id.", max_length=50, validators=[notes.papers.validate_arxiv], verbose_name="arXiv id"),
        ),
        migrations.AlterField(
            model_name="paper",
            name="doi",
            field=models.CharField(blank=True, max_length=200, validators=[notes.papers.validate_doi], verbose_name="DOI"),
        ),
        migrations.AddConstraint(
            model_name="paper",
            constraint=models.UniqueConstraint(condition=models.Q(("arxiv", ""), _negated=True), fields=("arxiv",), name="paper_unique_arxiv", violation_error_message="A paper with this arXiv id is already on the site: choose it on the note."),
        ),
        migrations.AddConstraint(
            model_name="paper",
            constraint=models.UniqueConstraint(condition=models.Q(("doi", ""), _negated=True), fields=("doi",), name="paper_unique_doi", violation_error_message="A paper with this DOI is already on the site: choose it on the note."),
        ),
        migrations.AddConstraint(
            model_name="notepaper",
            constraint=models.UniqueConstraint(fields=("note", "paper"), name="notepaper_once_per_note"),
        ),
        migrations.AddField(
            model_name="note",
            name="papers",
            field=models.ManyToManyField(blank=True, help_text="The papers this note summarises.", related_name="notes", through="notes.NotePaper", to="notes.paper", verbose_name="papers"),
        ),
    ]
