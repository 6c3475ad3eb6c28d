"""Related notes: shared rare tags, the same paper, links either way, the same category."""

from __future__ import annotations

from datetime import timedelta

from django.test import TestCase
from django.utils import timezone

from notes.models import Note
from tests.factories import make_category, make_note

DAY = timedelta(days=1)


def related(note: Note) -> list[str]:
    response = TestCase.client_class().get(note.get_absolute_url())
    return [other.slug for other in response.context["related_notes"]]


class RelatedNotesTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.ml, cls.rl = make_category("ML"), make_category("RL")
        now = timezone.now()
        cls.note = make_note("LoRA", slug="lora", category=cls.ml, tags=["PEFT", "common"],
                             body="See [[QLoRA]].", published_at=now - 9 * DAY)  # fmt: skip
        # "common" is on many notes, "PEFT" on two: the rare tag should win.
        for index in range(8):
            make_note(f"Common {index}", slug=f"common-{index}", category=cls.rl,
                      tags=["common"], published_at=now - index * DAY)  # fmt: skip
        cls.peft = make_note("Adapters", slug="adapters", category=cls.rl, tags=["PEFT"])
        cls.qlora = make_note("QLoRA", slug="qlora", category=cls.rl)
        cls.same_paper = make_note("LoRA again", slug="lora-again", category=cls.rl)
        lora = cls.note.papers.create(title="LoRA", arxiv="2106.09685")
        cls.same_paper.papers.add(lora)
        cls.draft = make_note("Draft", slug="draft", category=cls.ml, tags=["PEFT"],
                              status=Note.Status.DRAFT)  # fmt: skip
        cls.note.save()  # resolve the wiki link now that QLoRA exists

    def test_paper_link_and_rare_tag_come_before_common_tags(self) -> None:
        self.assertEqual(related(self.note)[:3], ["lora-again", "qlora", "adapters"])

    def test_at_most_five_and_never_the_note_itself_or_a_draft(self) -> None:
        slugs = related(self.note)
        self.assertEqual(len(slugs), 5)
        self.assertNotIn("lora", slugs)
        self.assertNotIn("draft", slugs)

    def test_a_link_counts_in_both_directions(self) -> None:
        self.assertIn("lora", related(self.qlora))

    def test_thin_evidence_is_filled_from_the_same_category(self) -> None:
        lonely = make_note("Lonely", slug="lonely", category=self.rl)
        slugs = related(lonely)
        self.assertEqual(len(slugs), 5)
        self.assertTrue(all(Note.objects.get(slug=s).category == self.rl for s in slugs))
