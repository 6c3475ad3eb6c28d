"""The note form's [[ completion endpoint: titles of drafts and published notes (and old
titles) for staff, found as the site search finds them, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.http import QueryDict
from django.test import RequestFactory, TestCase
from django.urls import reverse
from django.utils import timezone

from notes.admin.completion import LIMIT, completion_messages
from notes.models import Note
from tests.factories import make_category, make_note, settle
from tests.hostile_corpus import PAYLOADS

TITLES = reverse("admin:notes_note_titles")


class CompletionTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        users = get_user_model().objects
        cls.editor = users.create_superuser("editor", "editor@example.com")
        category = make_category("生成模型")
        cls.ddpm = make_note("扩散模型 DDPM", category=category)
        cls.policy = make_note(
            "扩散策略 Diffusion Policy", category=category, status=Note.Status.DRAFT
        )
        cls.compression = make_note("模型压缩综述", category=category)
        cls.attention = make_note("Attention Is All You Need", category=category)
        cls.lora = make_note("LoRA: Low-Rank Adaptation", category=category)
        cls.scheduled = make_note(
            "Scheduled Transformers",
            category=category,
            published_at=timezone.now() + timedelta(days=3),
        )
        # Renamed: its old title still resolves as a [[link]], so it is still offered.
        cls.renamed = make_note("Denoising Score Matching", category=category)
        cls.renamed.title = "分数匹配 Score Matching"
        cls.renamed.save()
        settle()

    def setUp(self) -> None:
        self.client.force_login(self.editor)

    def titles(self, q: str | None) -> list[dict[str, str]]:
        response = self.client.get(TITLES, {} if q is None else {"q": q})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        return response.json()["results"]

    def found(self, q: str) -> list[str]:
        return [entry["title"] for entry in self.titles(q)]


class FindingTests(CompletionTestCase):
    def test_drafts_and_published_notes_are_offered(self) -> None:
        self.assertEqual(
            self.titles("扩散"),
            [
                # Both start with the text: the one edited last first.
                {"title": "扩散策略 Diffusion Policy", "status": "draft"},
                {"title": "扩散模型 DDPM", "status": "published"},
            ],
        )

    def test_one_chinese_character_is_a_prefix(self) -> None:
        self.assertEqual(self.found("扩"), ["扩散策略 Diffusion Policy", "扩散模型 DDPM"])

    def test_titles_starting_with_the_text_come_before_those_containing_it(self) -> None:
        self.assertEqual(self.found("模型"), ["模型压缩综述", "扩散模型 DDPM"])

    def test_case_and_spaces_do_not_matter(self) -> None:
        self.assertEqual(self.found("  lora:   LOW"), ["LoRA: Low-Rank Adaptation"])

    def test_words_in_any_order_are_found_as_the_site_search_finds_them(self) -> None:
        # Not a substring of the title: the search's tokens (stemmed, ANDed) find it.
        self.assertEqual(self.found("need attention"), ["Attention Is All You Need"])
        self.assertEqual(self.found("adaptations"), ["LoRA: Low-Rank Adaptation"])
        # Full-width letters, folded by the search's tokenizer.
        self.assertEqual(self.found("Ｌｏｒａ"), ["LoRA: Low-Rank Adaptation"])

    def test_only_titles_are_matched(self) -> None:
        # Every body says "It discusses an idea worth summarising": no title does.
        self.assertEqual(self.titles("discusses"), [])

    def test_scheduled_notes_are_marked(self) -> None:
        self.assertEqual(
            self.titles("scheduled"), [{"title": "Scheduled Transformers", "status": "scheduled"}]
        )

    def test_old_titles_offer_the_current_title(self) -> None:
        self.assertEqual(
            self.titles("denoising"),
            [
                {
                    "title": "分数匹配 Score Matching",
                    "status": "published",
                    "old_title": "denoising score matching",
                }
            ],
        )

    def test_a_note_found_by_its_title_is_not_offered_again_by_an_old_one(self) -> None:
        expected = [{"title": "分数匹配 Score Matching", "status": "published"}]
        self.assertEqual(self.titles("score matching"), expected)

    def test_a_title_a_link_cannot_hold_comes_with_its_slug(self) -> None:
        note = make_note("[RFC] Sparse | Dense", category=self.ddpm.category, slug="rfc-sparse")
        expected = {"title": note.title, "status": "published", "link": "rfc-sparse"}
        self.assertEqual(self.titles("[rfc]"), [expected])

    def test_quotes_and_minus_signs_are_part_of_the_title(self) -> None:
        make_note('"Quoted" -minus title', category=self.ddpm.category)
        self.assertEqual(self.found('"quoted" -minus'), ['"Quoted" -minus title'])
        self.assertEqual(self.found("-minus"), ['"Quoted" -minus title'])

    def test_nothing_typed_offers_the_notes_edited_last(self) -> None:
        self.attention.body += "\n\nEdited."
        self.attention.save()
        recent = self.titles("")
        self.assertEqual(recent[0], {"title": "Attention Is All You Need", "status": "published"})
        self.assertEqual(len(recent), 7)
        self.assertEqual(self.titles(None), recent)
        self.assertEqual(self.titles("   "), recent)

    def test_at_most_ten_titles(self) -> None:
        for number in range(LIMIT + 5):
            make_note(f"扩散 variant {number:02d}", category=self.ddpm.category)
        self.assertEqual(len(self.titles("扩散")), LIMIT)
        self.assertEqual(len(self.titles("")), LIMIT)
        self.assertEqual(len(self.titles("variant")), LIMIT)

    def test_the_form_tells_its_script_where_and_in_which_words(self) -> None:
        response = self.client.get(reverse("admin:notes_note_add"))
        self.assertContains(response, f'data-titles-url="{TITLES}"')
        self.assertContains(response, "data-completion-messages=")
        self.assertContains(response, "admin/note-complete")  # the script and stylesheet
        self.assertEqual(
            set(completion_messages()),
            {"label", "old", "empty", "draft", "published", "scheduled"},
        )


class QueryCountTests(CompletionTestCase):
    def test_a_fixed_number_of_queries_whatever_the_number_of_notes(self) -> None:
        # The session and the user, then the notes and the old titles.
        with self.assertNumQueries(4):
            self.titles("扩散")
        with self.assertNumQueries(3):  # nothing typed: no old titles to look for
            self.titles("")
        for number in range(30):
            note = make_note(f"扩散 {number:02d}", category=self.ddpm.category)
            note.title = f"扩散 renamed {number:02d}"
            note.save()
        settle()
        with self.assertNumQueries(4):
            self.assertEqual(len(self.titles("扩散")), LIMIT)
        with self.assertNumQueries(3):
            self.titles("")


class HostileQueryTests(CompletionTestCase):
    HOSTILE = (
        "\x00",
        "扩散\x00模型",
        "x" * 10_240,
        "扩" * 10_240,
        '"',
        '""',
        "*",
        "扩散*",
        "NEAR(",
        "NEAR(a b, 2)",
        '"unterminated',
        "a OR b AND NOT c",
        "-",
        "- -- ---",
        "{title}: x",
        "title:x",
        "^x",
        "(",
        ")",
        "%",
        "_",
        "\\",
        "%_\\%",
        "' OR 1=1 --",
        "'; DROP TABLE notes_note; --",
        "a & b | !c <-> d:*",
        "\u200b\u202e\ufeff",
        "\U0001f600 emoji",
    )

    def test_hostile_text_is_only_text(self) -> None:
        for q in self.HOSTILE + tuple(payload.text for payload in PAYLOADS):
            with self.subTest(q=q[:40]):
                self.assertIsInstance(self.titles(q), list)
        self.assertTrue(Note.objects.filter(pk=self.ddpm.pk).exists())

    def test_invalid_utf8_in_the_address(self) -> None:
        for raw in ("%ED%A0%80", "%FF%FE", "%C0%AF", "%E6%89"):
            with self.subTest(raw=raw):
                response = self.client.get(f"{TITLES}?q={raw}")
                self.assertEqual(response.status_code, 200)

    def test_lone_surrogates_never_reach_the_database(self) -> None:
        # A URL cannot carry one (it is decoded with replacement), but a caller in Python can.
        request = RequestFactory().get(TITLES)
        request.user = self.editor
        request.GET = QueryDict(mutable=True)
        request.GET["q"] = "\ud800扩散\udfff"
        response = site._registry[Note].titles_view(request)
        self.assertEqual(response.status_code, 200)
        self.assertIn(b"DDPM", response.content)

    def test_post_is_refused(self) -> None:
        self.assertEqual(self.client.post(TITLES, {"q": "扩散"}).status_code, 405)


class PermissionTests(CompletionTestCase):
    def test_anonymous_visitors_are_sent_to_sign_in(self) -> None:
        self.client.logout()
        response = self.client.get(TITLES, {"q": "扩散"})
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("admin:login"), response["Location"])

    def test_users_who_are_not_staff_are_refused(self) -> None:
        reader = get_user_model().objects.create_user("reader", "reader@example.com")
        reader.user_permissions.add(Permission.objects.get(codename="view_note"))
        self.client.force_login(reader)
        response = self.client.get(TITLES, {"q": "扩散"})
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("admin:login"), response["Location"])
        self.assertNotContains(response, "DDPM", status_code=302)

    def test_staff_without_a_permission_on_notes_are_refused(self) -> None:
        staff = get_user_model().objects.create_user("staff", "s@example.com", is_staff=True)
        self.client.force_login(staff)
        self.assertEqual(self.client.get(TITLES, {"q": "扩散"}).status_code, 403)

    def test_staff_who_may_view_or_change_notes_are_answered(self) -> None:
        for codename in ("view_note", "change_note"):
            with self.subTest(codename=codename):
                staff = get_user_model().objects.create_user(codename, is_staff=True)
                staff.user_permissions.add(Permission.objects.get(codename=codename))
                self.client.force_login(staff)
                self.assertEqual(len(self.titles("扩散")), 2)  # the draft too
