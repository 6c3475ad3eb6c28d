"""Preview links (notes.views.sharing): an unpublished note's preview for someone without an
account, through a signed address that expires and can be revoked at once."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.core.cache import cache
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from notes.models import Note, PreviewLink
from notes.models.sharing import MAX_AGE, _LinkSigner
from tests.factories import make_category, make_note, settle, writes_refused


def make_link(note: Note, *, days: float = 7, created_at=None) -> PreviewLink:
    created_at = created_at or timezone.now()
    return PreviewLink.objects.create(
        note=note, created_at=created_at, expires_at=created_at + timedelta(days=days)
    )


class SharedPreviewTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("预览分类", slug="preview-category")
        cls.draft = make_note(
            "草稿：给作者看的笔记",
            slug="shared-draft",
            category=cls.category,
            status=Note.Status.DRAFT,
            tags=["共享"],
            body="## 方法\n\n损失 $x^2$。见 [[Other draft]]。\n\nSECRET-DRAFT-BODY",
        )
        cls.link = make_link(cls.draft)

    def setUp(self) -> None:
        # Whoever opens a shared link has no account: a fresh client, no session.
        self.client = Client()

    def url(self, link: PreviewLink | None = None) -> str:
        return (link or self.link).get_absolute_url()


class ValidLinkTests(SharedPreviewTestCase):
    def test_the_draft_is_shown_with_a_banner(self) -> None:
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "SECRET-DRAFT-BODY")
        self.assertContains(response, "草稿：给作者看的笔记")
        self.assertContains(response, 'class="preview-banner shared-preview-banner"')
        expires = timezone.localtime(self.link.expires_at).strftime("%Y-%m-%d %H:%M")
        self.assertContains(response, expires)
        # No "cite this note" for a page readers cannot open yet.
        self.assertNotContains(response, 'class="cite-box')

    def test_the_banner_speaks_the_interface_language(self) -> None:
        with translation.override("en"):
            url = reverse("notes:shared-preview", kwargs={"token": self.link.token})
        self.assertTrue(url.startswith("/en/preview/"))
        response = self.client.get(url)
        self.assertContains(response, "Preview of an unpublished note — link expires")

    def test_never_kept_never_indexed(self) -> None:
        response = self.client.get(self.url())
        self.assertEqual(response["Cache-Control"], "private, no-store")
        self.assertIn("noindex", response["X-Robots-Tag"])
        self.assertContains(response, '<meta name="robots" content="noindex, nofollow">')
        self.assertEqual(response["Referrer-Policy"], "no-referrer")
        # No validators: nothing for a browser or proxy to revalidate a kept copy with.
        self.assertNotIn("ETag", response)
        self.assertNotIn("Last-Modified", response)
        # Nor a canonical address, an og:url or a link to a reader's copy of it.
        html = response.content.decode()
        self.assertNotIn('rel="canonical"', html)
        self.assertNotIn('property="og:url"', html)

    def test_a_scheduled_note_says_when_it_comes(self) -> None:
        when = timezone.now() + timedelta(days=3)
        scheduled = make_note("定时的笔记", category=self.category, published_at=when)
        response = self.client.get(self.url(make_link(scheduled)))
        self.assertContains(response, "定时的笔记")
        self.assertContains(response, timezone.localtime(when).strftime("%Y-%m-%d %H:%M"))

    def test_a_link_to_a_note_published_since_still_works(self) -> None:
        published = make_note("已发表", slug="published-since", category=self.category)
        response = self.client.get(self.url(make_link(published)))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "已发表")
        self.assertContains(response, 'href="/notes/published-since/"')

    def test_an_undated_draft_renders(self) -> None:
        undated = make_note("未定日期", category=self.category, status=Note.Status.DRAFT)
        Note.objects.filter(pk=undated.pk).update(published_at=None)
        response = self.client.get(self.url(make_link(undated)))
        self.assertContains(response, "未定日期")

    def test_head_and_options_but_no_other_method(self) -> None:
        self.assertEqual(self.client.head(self.url()).status_code, 200)
        self.assertEqual(self.client.options(self.url())["Allow"], "GET, HEAD, OPTIONS")
        csrf_client = Client(enforce_csrf_checks=True)
        for method in ("post", "put", "delete"):
            with self.subTest(method=method):
                response = getattr(csrf_client, method)(self.url())
                self.assertEqual(response.status_code, 405)
                self.assertEqual(response["Allow"], "GET, HEAD, OPTIONS")

    def test_the_same_link_has_the_same_address(self) -> None:
        fetched = PreviewLink.objects.get(pk=self.link.pk)
        self.assertEqual(fetched.get_absolute_url(), self.url())
        # Whatever the editor's language, the one address to share is the default one.
        with translation.override("en"):
            self.assertEqual(fetched.get_absolute_url(), self.url())


class RefusedLinkTests(SharedPreviewTestCase):
    def assert_404(self, url: str) -> None:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 404, url)
        self.assertNotContains(response, "SECRET-DRAFT-BODY", status_code=404)

    def test_a_tampered_link_is_a_404(self) -> None:
        token = self.link.token
        value, stamp, signature = token.split(":")
        other = make_link(make_note("另一篇草稿", category=self.category, status="draft"))
        flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
        earlier = _LinkSigner(self.link.created_at - timedelta(minutes=1)).timestamp()
        for bad in (
            f"{value}:{stamp}:{flipped}",  # the signature
            f"{other.pk}:{stamp}:{signature}",  # another link's id under this signature
            f"{value}:{earlier}:{signature}",  # another time
            f"{value}:{stamp}",
            f"{value}x",
            "",
            "x" * 500,
            f"{value}%00:{stamp}:{signature}",
            f"{value}:{stamp}:{signature}:{signature}",
        ):
            with self.subTest(token=bad[:60]):
                self.assert_404(f"/preview/{bad}/")

    def test_a_signature_for_something_else_is_refused(self) -> None:
        """The same secret key signs sessions and more: only this salt's signatures count."""
        from django.core import signing

        forged = signing.TimestampSigner().sign(str(self.link.pk))
        self.assert_404(f"/preview/{forged}/")

    def test_an_expired_link_is_a_404(self) -> None:
        url = self.url()
        self.assertEqual(self.client.get(url).status_code, 200)
        later = self.link.expires_at + timedelta(seconds=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            self.assert_404(url)

    def test_a_signature_older_than_any_link_lives_is_a_404(self) -> None:
        """Signed with a timestamp from before the longest lifetime: refused by the signature
        alone, whatever the row says."""
        old = timezone.now() - MAX_AGE - timedelta(minutes=1)
        link = make_link(self.draft, created_at=old, days=365)
        self.assertTrue(link.is_active)
        self.assert_404(self.url(link))

    def test_a_revoked_link_is_a_404_at_once_even_with_the_page_cache(self) -> None:
        link = make_link(self.draft)
        with override_settings(PAGE_CACHE=True):
            cache.clear()
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    url = reverse("notes:shared-preview", kwargs={"token": link.token})
                with self.subTest(url=url[:20]):
                    self.assertEqual(self.client.get(url).status_code, 200)
                    self.assertEqual(self.client.get(url).status_code, 200)
            link.delete()
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    url = reverse("notes:shared-preview", kwargs={"token": link.token})
                with self.subTest(url=url[:20]):
                    self.assert_404(url)
                    # A conditional request cannot bring a kept copy back either.
                    response = self.client.get(url, HTTP_IF_NONE_MATCH="*")
                    self.assertEqual(response.status_code, 404)

    def test_the_page_cache_keeps_nothing_of_it(self) -> None:
        with override_settings(PAGE_CACHE=True):
            cache.clear()
            with mock.patch.object(cache, "set", wraps=cache.set) as kept:
                self.client.get(self.url())
                self.client.get("/en" + self.url())
        page_keys = [call.args[0] for call in kept.call_args_list if "notes:page:" in call.args[0]]
        self.assertEqual(page_keys, [])

    def test_a_deleted_note_takes_its_links_along(self) -> None:
        note = make_note("将被删除", category=self.category, status="draft")
        link = make_link(note)
        url = self.url(link)
        note.delete()
        self.assertFalse(PreviewLink.objects.filter(pk=link.pk).exists())
        self.assert_404(url)

    def test_a_token_names_one_row_only(self) -> None:
        """Were an id ever given to a new link, the revoked link's address (signed with the
        old row's creation time) still would not open it."""
        token = _LinkSigner(self.link.created_at - timedelta(seconds=5)).sign(str(self.link.pk))
        self.assert_404(f"/preview/{token}/")


class ReadersOnlyReadTests(SharedPreviewTestCase):
    def test_a_preview_reads_and_never_writes(self) -> None:
        with writes_refused():
            for url in (self.url(), "/en" + self.url(), "/preview/bad:token:here/"):
                with self.subTest(url=url[:30]):
                    self.assertIn(self.client.get(url).status_code, (200, 404))

    def test_a_fixed_small_number_of_queries(self) -> None:
        """The link with its note (one join), the note's update log, and the published notes
        around it (notes.neighbours); the site state for the header. However many notes,
        tags, papers or links there are."""
        settle()
        with self.assertNumQueries(4):
            self.client.get(self.url())
        for index in range(5):
            other = make_note(f"同类 {index}", category=self.category, tags=["共享"])
            make_link(self.draft)
            make_link(other)
        self.draft.papers.create(title="A paper", arxiv="2106.09685")
        settle()
        with self.assertNumQueries(4):
            self.client.get(self.url())


class DraftsStayHiddenTests(SharedPreviewTestCase):
    """A link opens one note's preview and nothing else: the draft stays out of everything
    readers can reach, and its preview shows no other unpublished note."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # Another draft that the shared one links to, that links back, in the same category
        # with the same tag and paper: every way a note page shows other notes.
        cls.other = make_note(
            "Other draft",
            slug="other-draft",
            category=cls.category,
            status=Note.Status.DRAFT,
            tags=["共享"],
            body="Links back: [[草稿：给作者看的笔记]]. OTHER-DRAFT-BODY",
        )
        paper = cls.draft.papers.create(title="Shared paper", arxiv="2401.00001")
        cls.other.papers.add(paper)
        cls.scheduled = make_note(
            "Scheduled neighbour",
            slug="scheduled-neighbour",
            category=cls.category,
            tags=["共享"],
            published_at=timezone.now() + timedelta(days=2),
        )
        cls.public = make_note("Public neighbour", slug="public-neighbour", category=cls.category,
                               tags=["共享"])  # fmt: skip
        cls.draft.rerender()

    def test_the_preview_shows_no_other_unpublished_note(self) -> None:
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        for hidden in ("other-draft", "Other draft</a>", "OTHER-DRAFT-BODY", "scheduled-neighbour",
                       "Scheduled neighbour"):  # fmt: skip
            self.assertNotIn(hidden, html)
        # The words of the body stay; a link to a note readers cannot see becomes plain text.
        self.assertIn('<span class="wikilink-unpublished">Other draft</span>', html)
        # The published note around it is still linked, in the body as around it.
        self.assertIn('href="/notes/public-neighbour/"', html)

    def test_a_link_in_the_body_to_a_published_note_stays(self) -> None:
        body = "See [[Public neighbour]] and [[Other draft|the other]]."
        note = make_note("Linking", category=self.category, status=Note.Status.DRAFT, body=body)
        html = self.client.get(self.url(make_link(note))).content.decode()
        self.assertIn('href="/notes/public-neighbour/"', html)
        self.assertIn('<span class="wikilink-unpublished">the other</span>', html)
        self.assertNotIn("other-draft", html)

    def test_the_draft_is_nowhere_else(self) -> None:
        paths = [
            "/", "/en/", "/feed/", "/feed/atom/", "/updates/", "/sitemap-notes.xml",
            "/category/preview-category/", "/category/preview-category/feed/", "/tag/共享/",
            "/tag/共享/feed/", "/search/?q=SECRET-DRAFT-BODY", "/search/?q=草稿",
            "/search/feed/?q=草稿", "/notes/public-neighbour/",
            f"/papers/{self.draft.papers.get().ident}/", "/archive/",
        ]  # fmt: skip
        self.assertEqual(self.client.get(self.url()).status_code, 200)  # the link works
        self.assertEqual(self.client.get("/notes/shared-draft/").status_code, 404)
        for path in paths:
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertIn(response.status_code, (200, 404), path)
                content = response.content.decode()
                self.assertNotIn("/notes/shared-draft/", content)
                self.assertNotIn("给作者看的笔记", content)
                self.assertNotIn("/preview/", content)
