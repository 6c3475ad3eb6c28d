"""Public pages: conditional GET, the page cache and Cache-Control never serve what changed."""

from __future__ import annotations

import gzip
from datetime import timedelta
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from notes.delivery import caching, state
from notes.models import Note, Series
from tests.factories import make_category, make_note, writes_refused


class PageCacheTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("检索增强")
        cls.note = make_note(
            "缓存的笔记", slug="cached", category=cls.category, tags=["缓存"], body="正文。"
        )

    def setUp(self) -> None:
        # On for these tests only (tests/conftest.py turns it off for the others).
        enabled = override_settings(PAGE_CACHE=True)
        enabled.enable()
        self.addCleanup(enabled.disable)
        cache.clear()

    def test_an_unchanged_page_answers_304_without_rendering(self) -> None:
        first = self.client.get("/")
        self.assertEqual(first.status_code, 200)
        with mock.patch("notes.views.NoteListView.get_context_data") as render:
            again = self.client.get("/", HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(again.status_code, 304)
        render.assert_not_called()
        self.assertEqual(again.content, b"")

    def test_an_unchanged_page_answers_304_before_sessions_and_authentication(self) -> None:
        """The commonest request (a feed reader's or a proxy's poll) needs none of the stack
        below the site state: the 304 is answered before the session or the user is read."""
        first = self.client.get("/feed/")
        with (
            mock.patch(
                "django.contrib.sessions.middleware.SessionMiddleware.process_request"
            ) as sessions,
            mock.patch(
                "django.contrib.auth.middleware.AuthenticationMiddleware.process_request"
            ) as users,
        ):
            again = self.client.get("/feed/", HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(again.status_code, 304)
        sessions.assert_not_called()
        users.assert_not_called()

    def test_a_304_repeats_the_vary_and_language_of_the_full_answer(self) -> None:
        """RFC 9110 (15.4.5): a cache matches the 304 to the copy it holds by these."""
        for path in ("/", "/en/", "/feed/", "/en/feed/"):
            with self.subTest(path=path):
                first = self.client.get(path, HTTP_ACCEPT_ENCODING="gzip")
                again = self.client.get(
                    path, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"]
                )
                self.assertEqual(again.status_code, 304)
                self.assertEqual(
                    {v.strip() for v in again["Vary"].split(",")},
                    {v.strip() for v in first["Vary"].split(",")},
                )
                self.assertEqual(again["Content-Language"], first["Content-Language"])

    def test_public_pages_vary_only_by_accept_encoding(self) -> None:
        """Each address serves one language (the default's have no prefix), so a CDN must
        not keep a copy per browser language list."""
        for path in ("/", "/en/", "/feed/", "/notes/cached/", "/sitemap.xml"):
            with self.subTest(path=path):
                response = self.client.get(path, HTTP_ACCEPT_LANGUAGE="en")
                self.assertEqual(response.status_code, 200)
                vary = {v.strip() for v in response.get("Vary", "").split(",") if v.strip()}
                self.assertLessEqual(vary, {"Accept-Encoding"})

    def test_the_admin_follows_and_varies_by_the_browser_language(self) -> None:
        response = self.client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertIn("Accept-Language", response["Vary"])
        self.assertEqual(response["Content-Language"], "en")

    def test_a_conditional_request_for_the_admin_still_asks_who_is_there(self) -> None:
        response = self.client.get("/admin/", HTTP_IF_NONE_MATCH="*")
        self.assertEqual(response.status_code, 302)

    def test_a_feed_poll_honours_if_modified_since(self) -> None:
        first = self.client.get(reverse("notes:feed"))
        again = self.client.get(
            reverse("notes:feed"), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
        )
        self.assertEqual(again.status_code, 304)

    def test_a_cached_page_is_served_from_the_cache(self) -> None:
        self.client.get("/")
        with mock.patch("notes.views.NoteListView.get_context_data") as render:
            response = self.client.get("/")
        render.assert_not_called()
        self.assertContains(response, "缓存的笔记")

    def test_a_cached_page_is_sent_compressed_as_when_it_was_rendered(self) -> None:
        """Kept gzipped: a client that asks for gzip gets the same bytes, type, validator and
        Vary from the cache as from a fresh rendering; one that does not gets plain HTML."""
        fresh = self.client.get("/", HTTP_ACCEPT_ENCODING="gzip")
        cached = self.client.get("/", HTTP_ACCEPT_ENCODING="gzip")
        plain = self.client.get("/", HTTP_ACCEPT_ENCODING="identity")
        self.assertEqual(cached["Content-Encoding"], "gzip")
        self.assertEqual(gzip.decompress(cached.content), gzip.decompress(fresh.content))
        self.assertEqual(cached["ETag"], fresh["ETag"])
        self.assertEqual(cached["Content-Type"], fresh["Content-Type"])
        self.assertIn("Accept-Encoding", cached["Vary"])
        self.assertNotIn("Content-Encoding", plain)
        self.assertEqual(plain.content, gzip.decompress(fresh.content))

    def test_a_deploy_starts_every_page_and_etag_afresh(self) -> None:
        """A release that changes code, a template or a translation never serves a page kept
        by the one before, nor answers 304 to a copy made by it."""
        first = self.client.get("/")
        with mock.patch.object(caching, "release", return_value="next"):
            with mock.patch("notes.views.NoteListView.get_context_data") as render:
                render.side_effect = RuntimeError("rendered")
                with self.assertRaisesMessage(RuntimeError, "rendered"):
                    self.client.get("/")
            again = self.client.get("/", HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(again.status_code, 200)
        self.assertNotEqual(again["ETag"], first["ETag"])
        self.assertContains(again, "缓存的笔记")

    def test_an_entry_of_another_shape_is_rendered_again(self) -> None:
        self.client.get("/")
        real_get = caching.cache.get

        def get(key, *args, **kwargs):
            if key.startswith("notes:page:"):
                return ("x", 200, [], b"old")
            return real_get(key, *args, **kwargs)

        with mock.patch.object(caching.cache, "get", side_effect=get):
            again = self.client.get("/")
        self.assertContains(again, "缓存的笔记")

    def test_an_edit_shows_at_once_on_cached_pages_and_changes_the_etag(self) -> None:
        pages = ["/", self.note.get_absolute_url(), reverse("notes:feed"), "/en/"]
        before = {page: self.client.get(page) for page in pages}
        self.note.title = "改过的标题"
        self.note.save()
        for page in pages:
            with self.subTest(page=page):
                response = self.client.get(page, HTTP_IF_NONE_MATCH=before[page]["ETag"])
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "改过的标题")
                self.assertNotContains(response, "缓存的笔记")

    def test_a_category_rename_reaches_cached_cards(self) -> None:
        self.client.get("/")
        self.category.name = "知识蒸馏"
        self.category.save()
        response = self.client.get("/")
        self.assertContains(response, "知识蒸馏", count=2)  # the navigation and the card
        self.assertNotContains(response, "检索增强")

    def test_a_scheduled_note_appears_at_its_time_not_at_cache_expiry(self) -> None:
        soon = timezone.now() + timedelta(minutes=5)
        make_note("定时发布的笔记", category=self.category, published_at=soon)
        response = self.client.get("/")
        self.assertNotContains(response, "定时发布的笔记")
        # A proxy may keep the page no longer than until the note is due.
        max_age = int(response["Cache-Control"].split("s-maxage=")[1].split(",")[0])
        self.assertLessEqual(max_age, 60)
        cdn_max_age = int(response["CDN-Cache-Control"].split("max-age=")[1].split(",")[0])
        self.assertLessEqual(cdn_max_age, 60)
        later = soon + timedelta(seconds=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            response = self.client.get("/", HTTP_IF_NONE_MATCH=response["ETag"])
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "定时发布的笔记")

    def test_public_pages_may_be_kept_by_a_proxy_for_a_short_while(self) -> None:
        response = self.client.get("/")
        self.assertEqual(response["Cache-Control"], "public, max-age=0, s-maxage=60")
        self.assertEqual(
            response["CDN-Cache-Control"], "public, max-age=60, stale-while-revalidate=30"
        )
        self.assertNotIn("Cookie", response.get("Vary", ""))

    def test_a_browser_never_shows_its_own_old_copy(self) -> None:
        """It revalidates every time: an editor who just saved sees the new page at once."""
        response = self.client.get(self.note.get_absolute_url())
        self.assertIn("max-age=0", response["Cache-Control"].split(", "))
        self.assertNotIn("stale-while-revalidate", response["Cache-Control"])

    def test_staff_previews_and_the_admin_are_never_cached(self) -> None:
        user = get_user_model().objects.create_superuser("editor", "e@example.org", "pw")
        self.client.force_login(user)
        draft = make_note("草稿", category=self.category, status=Note.Status.DRAFT)
        preview = self.client.get(reverse("notes:preview", args=[draft.pk]))
        self.assertIn("no-cache", preview["Cache-Control"])
        admin = self.client.get(reverse("admin:notes_note_changelist"))
        self.assertNotIn("public", admin.get("Cache-Control", ""))
        self.client.logout()
        self.assertEqual(self.client.get(draft.get_absolute_url()).status_code, 404)

    def test_a_missing_page_is_not_cached(self) -> None:
        self.assertEqual(self.client.get("/notes/not-yet/").status_code, 404)
        later = make_note("来了", slug="not-yet", category=self.category)
        self.assertEqual(self.client.get(later.get_absolute_url()).status_code, 200)


class CardTests(TestCase):
    """Cards and note pages are drawn by templates: whatever they show of other objects is
    current on the next view, in each language, with nothing stored to go stale."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.note = make_note("双语卡片", category=make_category("Vision"), tags=["检测"])

    def test_cards_link_in_each_language(self) -> None:
        chinese, english = self.client.get("/"), self.client.get("/en/")
        self.assertContains(chinese, 'href="/notes/')
        self.assertContains(english, 'href="/en/notes/')
        self.assertContains(english, 'href="/en/tag/')

    def test_a_tag_rename_reaches_cards_and_the_note_page(self) -> None:
        tag = self.note.tags.get()
        tag.name = "目标检测"
        tag.save()
        for path in ("/", self.note.get_absolute_url()):
            with self.subTest(path=path):
                self.assertContains(self.client.get(path), "目标检测")

    def test_a_series_rename_reaches_its_notes_pages(self) -> None:
        series = Series.objects.create(title="旧系列", slug="old-series")
        self.note.series = series
        self.note.save()
        series.title = "新系列名"
        series.save()
        response = self.client.get(self.note.get_absolute_url())
        self.assertContains(response, '"name":"新系列名"')
        self.assertNotContains(response, "旧系列")


class ScheduledNoteTests(TestCase):
    """A scheduled note goes live by the clock alone: counts and lists include it at its
    time, and no reader writes anything for that."""

    def test_counts_include_a_scheduled_note_at_its_time_without_a_write(self) -> None:
        category = make_category("定时")
        make_note("已发布", category=category)
        soon = timezone.now() + timedelta(minutes=5)
        make_note("定时的", category=category, published_at=soon, tags=["定时标签"])
        self.assertContains(self.client.get("/category/"), "1")
        self.assertEqual(self.client.get("/tag/定时标签/").status_code, 404)

        later = soon + timedelta(seconds=1)
        with (
            mock.patch("django.utils.timezone.now", return_value=later),
            writes_refused(),
        ):
            site = state.current()
            tag = self.client.get("/tag/定时标签/")
            home = self.client.get("/")
        self.assertEqual(site.category_count(category.pk), 2)
        self.assertEqual(site.total, 2)
        self.assertEqual(tag.status_code, 200)
        self.assertContains(home, "定时的")


@override_settings(SITE_STATE_IN_CACHE=True)
class SharedStateRaceTests(TestCase):
    """With a cache every server shares (Redis), a reader racing an editor's commit."""

    def setUp(self) -> None:
        cache.clear()

    def test_a_reader_storing_what_it_read_before_a_commit_cannot_hide_the_change(self) -> None:
        old = state._read()  # a reader reads the row just before the editor's commit
        with self.captureOnCommitCallbacks(execute=True):
            state.changed()  # the editor's change commits; its state goes into the cache
        with mock.patch.object(state, "_read", return_value=old):
            state._settle(None, None)  # the reader then stores what it read
        self.assertGreater(state.current().version, old["version"])

    def test_a_state_a_reader_stored_lives_only_briefly(self) -> None:
        with mock.patch.object(state.cache, "add") as add:
            state.current()
        self.assertLessEqual(add.call_args.args[2], state.READER_SECONDS)


def test_the_release_hash_reads_the_code_it_names() -> None:
    """A deploy that changes only Python code must change every ETag and cache key: the
    release hash reads the app's modules, wherever caching.py lives in the tree."""
    assert (caching.ROOT / "notes" / "models" / "note.py").is_file()
    assert (caching.ROOT / "site_config" / "settings.py").is_file()
