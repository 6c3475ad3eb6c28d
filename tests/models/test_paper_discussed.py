"""Which papers readers may see, as the derive step keeps it (``Paper.discussed_since``): after
every kind of change it is exactly what the rule says, computed afresh from the notes."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.db.models import Exists, OuterRef
from django.test import TestCase
from django.utils import timezone

from notes.models import Note, NotePaper, Paper
from tests.factories import make_category, make_note


def by_the_rule(now=None) -> set[str]:
    """The rule itself, read from the notes on every call: papers a published note lists or
    cites."""
    published = Note.objects.published(now)
    listed = NotePaper.objects.filter(paper=OuterRef("pk"), note__in=published)
    cited = Note.cites.through.objects.filter(paper=OuterRef("pk"), note__in=published)
    return set(Paper.objects.filter(Exists(listed) | Exists(cited)).values_list("title", flat=True))


class DiscussedPapersTests(TestCase):
    def setUp(self) -> None:
        self.category = make_category("论文")
        self.lora = Paper.objects.create(title="LoRA", arxiv="2106.09685", key="hu2021lora")
        self.bert = Paper.objects.create(title="BERT", arxiv="1810.04805", key="devlin2018bert")

    def discussed(self, now=None) -> set[str]:
        seen = set(Paper.objects.discussed(now).values_list("title", flat=True))
        self.assertEqual(seen, by_the_rule(now))
        return seen

    def test_a_listed_paper_follows_its_note_through_draft_published_and_deleted(self) -> None:
        note = make_note("笔记", category=self.category, status=Note.Status.DRAFT)
        note.papers.add(self.lora)
        self.assertEqual(self.discussed(), set())
        note.status = Note.Status.PUBLISHED
        note.save()
        self.assertEqual(self.discussed(), {"LoRA"})
        note.status = Note.Status.DRAFT
        note.save()
        self.assertEqual(self.discussed(), set())
        note.status = Note.Status.PUBLISHED
        note.save()
        note.delete()
        self.assertEqual(self.discussed(), set())

    def test_unlinking_hides_a_paper_no_other_published_note_lists(self) -> None:
        first = make_note("一", category=self.category)
        second = make_note("二", category=self.category)
        first.papers.add(self.lora, self.bert)
        second.papers.add(self.lora)
        self.assertEqual(self.discussed(), {"LoRA", "BERT"})
        first.papers.remove(self.lora, self.bert)
        self.assertEqual(self.discussed(), {"LoRA"})
        NotePaper.objects.filter(note=second).delete()
        self.assertEqual(self.discussed(), set())

    def test_a_citation_in_the_text_discusses_the_paper_until_it_is_taken_out(self) -> None:
        note = make_note("引用", category=self.category, body="见 [@hu2021lora]。")
        self.assertEqual(self.discussed(), {"LoRA"})
        note.body = "不再引用。"
        note.save()
        self.assertEqual(self.discussed(), set())

    def test_a_scheduled_note_brings_its_papers_at_its_time(self) -> None:
        soon = timezone.now() + timedelta(hours=1)
        make_note("定时", category=self.category, published_at=soon).papers.add(self.bert)
        self.assertEqual(self.discussed(), set())
        self.assertEqual(self.discussed(soon), {"BERT"})
        # Moved later, it takes them away until then.
        note = Note.objects.get(title="定时")
        note.published_at = soon + timedelta(days=1)
        note.save()
        self.assertEqual(self.discussed(soon), set())
        self.assertEqual(self.discussed(soon + timedelta(days=1)), {"BERT"})

    def test_the_earliest_of_several_notes_counts(self) -> None:
        now = timezone.now()
        later = make_note("晚", category=self.category, published_at=now + timedelta(hours=2))
        later.papers.add(self.lora)
        earlier = make_note("早", category=self.category, published_at=now - timedelta(days=3))
        earlier.papers.add(self.lora)
        self.assertEqual(Paper.objects.get(pk=self.lora.pk).discussed_since, earlier.published_at)
        earlier.delete()
        self.assertEqual(Paper.objects.get(pk=self.lora.pk).discussed_since, later.published_at)
        self.assertEqual(self.discussed(), set())
        with mock.patch("django.utils.timezone.now", return_value=now + timedelta(hours=3)):
            self.assertEqual(self.discussed(), {"LoRA"})

    def test_the_index_reads_the_kept_time_not_the_notes(self) -> None:
        make_note("笔记", category=self.category).papers.add(self.lora)
        with self.assertNumQueries(1):
            sql = str(Paper.objects.discussed().query)
            list(Paper.objects.discussed())
        self.assertNotIn("notes_note", sql)
