"""Browsing: the category and tag indexes and the archives by year and month."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from notes.models import Note
from tests.factories import make_category, make_note, settle


def at(year: int, month: int, day: int = 15) -> datetime:
    return timezone.make_aware(datetime(year, month, day, 12))


class IndexTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.ml = make_category("ML", description="Machine learning.")
        cls.empty = make_category("Empty")
        make_note("One", category=cls.ml, tags=["大模型", "Attention"])
        make_note("Two", category=cls.ml, tags=["大模型", "LoRA"])
        make_note("Draft", category=cls.ml, tags=["秘密", "LoRA"], status=Note.Status.DRAFT)
        make_note("Soon", category=cls.empty, tags=["未来"],
                  published_at=timezone.now() + timedelta(days=1))  # fmt: skip

    def test_category_index_counts_only_published_notes(self) -> None:
        response = self.client.get(reverse("notes:categories"))
        categories = {c.name: c.note_count for c in response.context["categories"]}
        self.assertEqual(categories, {"ML": 2, "Empty": 0})
        self.assertContains(response, "Machine learning.")

    def test_tag_index_lists_published_tags_in_one_alphabet(self) -> None:
        response = self.client.get(reverse("notes:tags"))
        tags = [(t.name, t.note_count) for t in response.context["tags"]]
        # Draft-only and scheduled-only tags stay hidden; 大模型 sorts as "da mo xing".
        self.assertEqual(tags, [("Attention", 1), ("大模型", 2), ("LoRA", 1)])
        self.assertNotContains(response, "秘密")

    def test_tag_index_shows_aliases(self) -> None:
        from taggit.models import Tag

        Tag.objects.get(name="大模型").aliases.create(name="LLM")
        self.assertContains(self.client.get(reverse("notes:tags")), "又名：LLM")

    def test_indexes_are_linked_from_every_page(self) -> None:
        html = self.client.get("/").content.decode()
        for name in ("notes:categories", "notes:tags", "notes:archive"):
            self.assertIn(f'href="{reverse(name)}"', html)

    def test_index_pages_run_a_fixed_number_of_queries(self) -> None:
        """The site state (counts, navigation), the categories; the tags with their counts
        and their aliases."""
        for index in range(3):
            settle()
            with self.assertNumQueries(2):
                self.client.get(reverse("notes:categories"))
            with self.assertNumQueries(3):
                self.client.get(reverse("notes:tags"))
            make_note(f"More {index}", category=self.ml, tags=[f"t{index}"])

    def test_bad_tag_page_numbers_are_404(self) -> None:
        for page in ("0", "abc", "99", ""):
            response = self.client.get(reverse("notes:tags"), {"page": page})
            self.assertEqual(response.status_code, 404, page)


class ArchiveTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category("ML")
        make_note("March A", category=category, published_at=at(2025, 3, 2))
        make_note("March B", category=category, published_at=at(2025, 3, 20))
        make_note("June", category=category, published_at=at(2025, 6))
        make_note("Last year", category=category, published_at=at(2024, 12, 31))
        make_note("Draft", category=category, status=Note.Status.DRAFT, published_at=at(2023, 1))
        make_note("Soon", category=category, published_at=timezone.now() + timedelta(days=3))

    def test_archive_counts_years_and_months_of_published_notes(self) -> None:
        years = self.client.get(reverse("notes:archive")).context["years"]
        summary = [(y["year"], y["total"], [(m["month"], m["count"]) for m in y["months"]])
                   for y in years]  # fmt: skip
        self.assertEqual(summary, [(2025, 3, [(6, 1), (3, 2)]), (2024, 1, [(12, 1)])])

    def test_year_and_month_pages_list_their_notes(self) -> None:
        year = self.client.get(reverse("notes:year", args=[2025]))
        self.assertEqual([n.title for n in year.context["notes"]], ["June", "March B", "March A"])
        self.assertContains(year, 'href="/archive/2025/03/"')
        month = self.client.get("/archive/2025/03/")
        self.assertEqual([n.title for n in month.context["notes"]], ["March B", "March A"])

    def test_months_follow_the_site_time_zone(self) -> None:
        """23:30 on 31 December in Shanghai is 2024 there, though 2024-12-31 15:30 in UTC."""
        make_note("New year's eve",
                  published_at=timezone.make_aware(datetime(2024, 12, 31, 23, 30)))  # fmt: skip
        titles = [n.title for n in self.client.get("/archive/2024/12/").context["notes"]]
        self.assertIn("New year's eve", titles)

    def test_unknown_and_malformed_periods_are_404(self) -> None:
        for url in ("/archive/2023/", "/archive/2023/01/", "/archive/2025/04/", "/archive/2025/3/",
                    "/archive/2025/13/", "/archive/0000/", "/archive/9999/", "/archive/99999/",
                    "/archive/2025/00/", "/archive/abcd/"):  # fmt: skip
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_future_notes_are_not_counted_or_listed(self) -> None:
        year = timezone.localtime().year
        for response in (self.client.get(reverse("notes:archive")),
                         self.client.get(f"/archive/{year}/")):  # fmt: skip
            self.assertNotContains(response, "Soon", status_code=response.status_code)

    def test_archive_pages_run_a_fixed_number_of_queries(self) -> None:
        """The site state has the counts and the navigation: the archive needs nothing else,
        a month or a year its page of notes."""
        settle()
        with self.assertNumQueries(1):
            self.client.get(reverse("notes:archive"))
        with self.assertNumQueries(2):
            self.client.get("/archive/2025/03/")
        with self.assertNumQueries(2):
            self.client.get("/archive/2025/")
