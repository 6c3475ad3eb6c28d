"""Hostile requests against every public address: wrong page numbers, malformed slugs,
percent-encoded NULs and invalid UTF-8, very long query strings, odd methods, headers and
hosts. Whatever a client sends, the answer is a 2xx, 3xx or 4xx — never a 5xx, never a
traceback — and a 405 says which methods are allowed.

Deterministic: the explicit cases are a fixed table, and the generated ones come from
Hypothesis with ``derandomize=True`` (the same examples on every run and machine).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory, TestCase
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from django.views.defaults import permission_denied, server_error
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from notes.models import Note, PreviewLink, Series
from tests.factories import make_category, make_note, settle

# Every public route by name, with the arguments of a real object of the test site; the
# test below fails when a route is added to notes/urls.py or site_config/urls.py and not here.
ROUTES = {
    "notes:list": {},
    "notes:detail": {"slug": "lora"},
    # The address papers' BibTeX had before papers had pages: a permanent redirect now.
    "notes:bibtex": {"slug": "lora", "pk": "PAPER"},
    "notes:papers": {},
    "notes:paper": {"ident": "2106.09685"},
    "notes:paper-bibtex": {"ident": "2106.09685"},
    "notes:note-bibtex": {"slug": "lora"},
    "notes:note-references-bibtex": {"slug": "lora"},
    "notes:updates": {},
    "notes:updates-feed": {},
    "notes:updates-feed-atom": {},
    "notes:categories": {},
    "notes:category": {"slug": "large-model"},
    "notes:tags": {},
    "notes:tag": {"slug": "peft"},
    "notes:archive": {},
    "notes:year": {"year": 2026},
    "notes:month": {"year": 2026, "month": 3},
    "notes:series-list": {},
    "notes:series-detail": {"slug": "peft-series"},
    "notes:series-feed": {"slug": "peft-series"},
    "notes:series-feed-atom": {"slug": "peft-series"},
    "notes:search": {},
    "notes:search-feed": {},
    "notes:search-feed-atom": {},
    "notes:opensearch": {},
    "notes:favicon": {},
    # A draft's preview through a link an editor shared; its token is made by build_site.
    "notes:shared-preview": {"token": "TOKEN"},
    "notes:feed": {},
    "notes:feed-atom": {},
    "notes:category-feed": {"slug": "large-model"},
    "notes:category-feed-atom": {"slug": "large-model"},
    "notes:tag-feed": {"slug": "peft"},
    "notes:tag-feed-atom": {"slug": "peft"},
    "robots": {},
    "sitemap": {},
    "sitemap-section": {"section": "notes"},
}
# What a route needs in its query string to be a page.
QUERIES = {"notes:search-feed": "q=lora", "notes:search-feed-atom": "q=lora"}
# Staff-only, never cached: tests/admin/test_preview.py.
NOT_PUBLIC = {"notes:preview"}
LANGUAGES = [code for code, _name in settings.LANGUAGES]

BAD_NUMBERS = [
    "0", "-1", "99999999999999999999", "1e3", "abc", "%00", "", "1.5", "+1", " 1", "%ff%fe",
    "%c0%b1", "%D9%A1", "%C2%B2", "1%00", "0x10", "9" * 400,
]  # fmt: skip
# Path segments that are not slugs, or are slugs no object has; written percent-encoded.
# Routes that only redirect (checked by test_moved_addresses_redirect_for_good).
MOVED = {"notes:bibtex"}
BAD_SLUGS = [
    "%00", "%ff%fe", "%c0%ae%c0%ae", "%e0%80%af", "%ed%a0%80", "..", "%2e%2e", "a%2Fb",
    "no-such-thing", "%E4%B8%8D%E5%AD%98%E5%9C%A8", "x" * 5000, "%E5%A4%A7" * 600, "_",
    "-", "%EF%BC%A1", "%F0%9F%98%80", "lora%0A", "lora%20", "LORA",
]  # fmt: skip
BAD_QUERIES = [
    "q=" + "%E6%B3%A8%E6%84%8F" * 1700,  # 10k characters of one CJK word
    "q=" + "a" * 10_000,
    "q=%00",
    "q=%ff%fe",
    "q=%c0%80",
    "q=%22unclosed",
    "q=-",
    "q=-%22%22",
    "q=*%3A%26%7C!()",
    "q=%0B%0C%1B",
    "q=%E2%80%AE",
    "q=lora&category=%00",
    "q=lora&tag=%ff",
    "q=lora&category=no-such&tag=no-such",
    "q=lora&sort=%00",
    "q=lora&page=99999999999999999999",
    "q=lora&page=-1",
    "q[]=1&q[]=2",
    "q=a&q=b&q=c",
    "&&&==&=",
    "%=%&%%",
    "x=" + "y" * 10_000,
    "=" * 2000,
    "&".join(f"k{i}=v" for i in range(1500)),
    "p=0",
    "p=99999999999999999999",
    "p=abc",
    "p=%00",
]  # fmt: skip
METHODS = ["POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT", "PROPFIND", "FOO"]
ODD_HEADERS = [
    {"HTTP_ACCEPT_LANGUAGE": "x" * 5000},
    {"HTTP_ACCEPT_LANGUAGE": "zh-hans;q=abc, en;q=-1, *;q=2"},
    {"HTTP_ACCEPT_LANGUAGE": ",,;;==\x00"},
    {"HTTP_IF_NONE_MATCH": "garbage"},
    {"HTTP_IF_NONE_MATCH": 'W/"unterminated'},
    {"HTTP_IF_NONE_MATCH": "*"},
    {"HTTP_IF_NONE_MATCH": '"' * 3000},
    {"HTTP_IF_MODIFIED_SINCE": "yesterday"},
    {"HTTP_IF_MODIFIED_SINCE": "Mon, 99 Foo 9999 99:99:99 GMT"},
    {"HTTP_IF_MODIFIED_SINCE": "Fri, 31 Dec 9999 23:59:59 GMT"},
    {"HTTP_IF_MODIFIED_SINCE": "Thu, 01 Jan 1970 00:00:00 GMT"},
    {"HTTP_IF_MODIFIED_SINCE": "-1"},
    {"HTTP_IF_UNMODIFIED_SINCE": "nonsense"},
    {"HTTP_IF_MATCH": "nonsense"},
    {"HTTP_RANGE": "bytes=0-0"},
    {"HTTP_RANGE": "bytes=abc-"},
    {"HTTP_ACCEPT_ENCODING": "gzip;q=abc, br;q=-1"},
    {"HTTP_ACCEPT_ENCODING": "x" * 10_000},
    {"HTTP_ACCEPT_ENCODING": "br, zstd, *"},
    {"HTTP_ACCEPT": "\x00/\x00"},
    {"HTTP_COOKIE": "sessionid=%00; csrftoken=" + "z" * 4000 + "; django_language=xx"},
    {"HTTP_COOKIE": "=;=;;;\x7f"},
    {"HTTP_USER_AGENT": "A" * 20_000},
    {"HTTP_REFERER": "http://[::1"},
    {"HTTP_X_FORWARDED_PROTO": "https, http"},
    {"HTTP_X_FORWARDED_HOST": "evil.com"},
    {"HTTP_X_FORWARDED_FOR": "not-an-ip, " * 500},
    {"HTTP_ORIGIN": "null"},
    {"CONTENT_TYPE": "multipart/form-data; boundary="},
    {"CONTENT_LENGTH": "-5"},
]  # fmt: skip
BAD_HOSTS = [
    "evil.com", "", "localhost:abc", "[::1", "evil.com@localhost", "localhost/../", "a" * 300,
    "localhost\x00", "%00", " localhost", "xn--nxasmq6b.com", "evil.com:80",
]  # fmt: skip
# Allowed names; Django does not judge the port, and neither must anything after it.
GOOD_HOSTS = [
    "localhost", "localhost:8000", "127.0.0.1", "LOCALHOST", "localhost.", "localhost:99999",
    "127.0.0.1:0",
]  # fmt: skip
# What a body never holds, whatever went wrong: Python's traceback or Django's debug page.
LEAKS = (b"Traceback (most recent call last)", b'File "/', b"django.core", b"DEBUG = True")


def public_route_names() -> set[str]:
    """The names of every route in the URL configuration, the admin's and media's aside."""
    names: set[str] = set()

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names - NOT_PUBLIC


def build_site() -> dict[str, int | str]:
    """A small site with everything the routes need: notes with math, a paper, tags, a
    series, an old slug, a draft (with a preview link) and a scheduled note. Returns the ids
    ROUTES refer to."""
    category = make_category("Large Model", slug="large-model")
    series = Series.objects.create(title="PEFT 系列", slug="peft-series")
    when = timezone.make_aware(datetime(2026, 3, 5, 10, 0))
    note = make_note(
        "LoRA：大模型的低秩适配",
        slug="lora-old",
        category=category,
        tags=["PEFT", "微调"],
        published_at=when,
        series=series,
        series_position=1,
        body="## 方法\n\n$$h = W_0 x + BAx$$\n\n行内 $r \\ll d$。[[DDPM]] [@arxiv:2106.09685]\n",
    )
    note.slug = "lora"
    note.save()
    paper = note.papers.create(title="LoRA", arxiv="2106.09685", year=2022, authors="Edward J. Hu")
    make_note("DDPM", category=category, tags=["PEFT"], published_at=when - timedelta(1))
    draft = make_note("Draft", category=category, status=Note.Status.DRAFT, tags=["secret"])
    make_note("Scheduled", category=category, published_at=timezone.now() + timedelta(9))
    link = PreviewLink.objects.create(note=draft, expires_at=timezone.now() + timedelta(9))
    settle()
    return {"PAPER": paper.pk, "TOKEN": link.token}


def url(name: str, language: str, ids: dict[str, int], **override) -> str:
    kwargs = {key: ids.get(value, value) for key, value in {**ROUTES[name], **override}.items()}
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


class FuzzMixin:
    counted = 0  # requests sent by every test of the module, for the record

    @classmethod
    def setUpTestData(cls) -> None:
        cls.ids = build_site()

    def setUp(self) -> None:
        # 500s come back as responses (as a browser sees them), not as exceptions; CSRF is
        # checked as for any real client.
        self.client = Client(raise_request_exception=False, enforce_csrf_checks=True)

    def urls(self) -> Iterator[tuple[str, str]]:
        """Every public page in both languages, as (path, the query it needs)."""
        for language in LANGUAGES:
            for name in ROUTES:
                if name in MOVED:
                    continue
                if language != settings.LANGUAGE_CODE and not name.startswith("notes:"):
                    continue  # robots and sitemaps have one address for every language
                yield url(name, language, self.ids), QUERIES.get(name, "")

    def ask(self, method: str, path: str, query: str = "", **extra):
        """One request exactly as written: ``path`` and ``query`` stay percent-encoded."""
        FuzzMixin.counted += 1
        extra.setdefault("QUERY_STRING", query)
        response = self.client.generic(method, path, **extra)
        label = f"{method} {path[:120]} ?{query[:80]} {sorted(extra)[:3]}"
        self.assertLess(response.status_code, 500, label)
        body = b"" if response.streaming else response.content
        for leak in LEAKS:
            self.assertNotIn(leak, body, label)
        if response.status_code == 405:
            allowed = {part.strip() for part in response.get("Allow", "").split(",")}
            self.assertLessEqual({"GET", "HEAD"}, allowed, label)
        return response


class HostileRequestTests(FuzzMixin, TestCase):
    def test_every_public_route_is_fuzzed(self) -> None:
        self.assertEqual(set(ROUTES), public_route_names())

    def test_moved_addresses_redirect_for_good(self) -> None:
        for language, name in itertools.product(LANGUAGES, MOVED):
            with self.subTest(name=name, language=language):
                response = self.ask("GET", url(name, language, self.ids))
                self.assertEqual(response.status_code, 301)
                self.assertEqual(self.ask("GET", response["Location"]).status_code, 200)

    def test_any_spelling_of_a_paper_leads_to_its_page(self) -> None:
        for spelling in ("arXiv:2106.09685v2", "2106.09685v1", "hu2022lora"):
            with self.subTest(spelling=spelling):
                response = self.ask("GET", f"/papers/{spelling}/")
                self.assertEqual(response.status_code, 301)
                self.assertEqual(response["Location"], "/papers/2106.09685/")
        for bad in ("%00", "..", "2106.0968", "10.1000%2Fnothing", "x" * 5000, "%ff", "a/b/c"):
            with self.subTest(bad=bad):
                self.assertEqual(self.ask("GET", f"/papers/{bad}/").status_code, 404)

    def test_the_real_pages_answer(self) -> None:
        """The baseline the hostile variants are measured against: every route is a page."""
        for path, query in self.urls():
            with self.subTest(path=path):
                self.assertEqual(self.ask("GET", path, query).status_code, 200, path)

    def test_wrong_page_numbers(self) -> None:
        lists = ["notes:list", "notes:category", "notes:tag", "notes:year", "notes:month",
                 "notes:tags", "notes:search"]  # fmt: skip
        for language, name, number in itertools.product(LANGUAGES, lists, BAD_NUMBERS):
            query = f"page={number}" if name != "notes:search" else f"q=lora&page={number}"
            with self.subTest(name=name, number=number):
                status = self.ask("GET", url(name, language, self.ids), query).status_code
                # Only a plain whole number from 1 names a page; a big one is out of range.
                self.assertEqual(status, 404)

    def test_wrong_sitemap_page_numbers(self) -> None:
        for number in BAD_NUMBERS:
            with self.subTest(number=number):
                self.ask("GET", url("sitemap-section", "en", self.ids), f"p={number}")

    def test_unknown_and_malformed_slugs(self) -> None:
        with_slug = [name for name, kwargs in ROUTES.items() if "slug" in kwargs]
        for index, (name, slug) in enumerate(itertools.product(with_slug, BAD_SLUGS)):
            language = LANGUAGES[index % 2] if name.startswith("notes:") else settings.LANGUAGE_CODE
            path = url(name, language, self.ids, slug="SLUG").replace("SLUG", slug)
            with self.subTest(path=path[:100]):
                self.assertIn(self.ask("GET", path).status_code, (301, 404))

    def test_malformed_numbers_in_paths(self) -> None:
        paths = [
            "/archive/0000/", "/archive/0999/", "/archive/9999/", "/archive/9998/12/",
            "/archive/1000/01/", "/archive/2026/00/", "/archive/2026/13/", "/archive/2026/3/",
            "/archive/%00/", "/archive/２０２６/", "/notes/lora/papers/0.bib",
            "/notes/lora/papers/99999999999999999999.bib", "/notes/lora/papers/-1.bib",
            "/notes/lora/papers/%00.bib", "/sitemap-%00.xml", "/sitemap-nope.xml",
            "/sitemap-.xml", "/preview/99999999999999999999/", "/en/archive/0000/",
            "/preview/1:1:1/", "/preview/%00:%ff:%fe/", "/en/preview/" + "9" * 400 + ":x:y/",
        ]  # fmt: skip
        for path in paths:
            with self.subTest(path=path):
                self.assertIn(self.ask("GET", path).status_code, (302, 404), path)

    def test_hostile_query_strings(self) -> None:
        # Each query on a third of the pages, a different third for the next query.
        pages = [path for path, _query in self.urls()]
        for index, query in enumerate(BAD_QUERIES):
            for path in pages[index % 3 :: 3]:
                with self.subTest(path=path, query=query[:40]):
                    self.ask("GET", path, query)

    def test_hostile_paths_outside_the_routes(self) -> None:
        paths = [
            "/%00", "/%ff%fe/", "/notes/%00/papers/1.bib", "/en%00/", "/en/en/", "/zh-hans/",
            "/static/%00", "/static/..%2f..%2fsite_config%2fsettings.py", "/static/css/%ff.css",
            "/media/%00", "/media/../../etc/passwd", "/admin%00/", "//evil.com/", "/" * 3000,
            "/a" * 3000, "/notes", "/en", "/search", "/%2e%2e/%2e%2e/",
        ]  # fmt: skip
        for path in paths:
            with self.subTest(path=path[:60]):
                self.ask("GET", path)

    def test_odd_methods_answer_405_with_allow(self) -> None:
        for (path, query), method in itertools.product(self.urls(), METHODS):
            with self.subTest(path=path, method=method):
                response = self.ask(method, path, query, data=b"x=1", content_type="text/plain")
                self.assertEqual(response.status_code, 405)
                self.assertEqual(response["Allow"], "GET, HEAD, OPTIONS")

    def test_safe_methods_are_allowed(self) -> None:
        for path, query in self.urls():
            with self.subTest(path=path):
                head = self.ask("HEAD", path, query)
                self.assertEqual(head.status_code, 200)
                self.assertEqual(head.content, b"")
                options = self.ask("OPTIONS", path, query)
                self.assertEqual(options.status_code, 200)
                self.assertEqual(options["Allow"], "GET, HEAD, OPTIONS")

    def test_odd_headers(self) -> None:
        paths = [url(name, LANGUAGES[index % 2], self.ids) for index, name in enumerate(ROUTES)]
        for index, headers in enumerate(ODD_HEADERS):
            for path in paths[index % 3 :: 3]:
                with self.subTest(path=path, headers=str(headers)[:60]):
                    self.ask("GET", path, **headers)

    def test_unknown_hosts_are_refused_with_400(self) -> None:
        paths = [url("notes:list", "en", self.ids), url("notes:detail", "zh-hans", self.ids),
                 url("notes:feed", "zh-hans", self.ids), url("sitemap", "zh-hans", self.ids),
                 url("notes:search", "en", self.ids), "/no-such-page/"]  # fmt: skip
        for host, path in itertools.product(BAD_HOSTS, paths):
            with self.subTest(host=host, path=path):
                self.assertEqual(self.ask("GET", path, HTTP_HOST=host).status_code, 400)

    def test_allowed_hosts_are_served(self) -> None:
        with self.settings(ALLOWED_HOSTS=["localhost", "127.0.0.1"]):
            for host in GOOD_HOSTS:
                with self.subTest(host=host):
                    response = self.ask("GET", "/", HTTP_HOST=host)
                    self.assertEqual(response.status_code, 200)

    def test_page_cache_on(self) -> None:
        """Production keeps pages in its cache by their full address: hostile addresses go
        through that path too."""
        with self.settings(PAGE_CACHE=True):
            pages = [path for path, _query in self.urls()][::4]
            for path, query in itertools.product(pages, BAD_QUERIES[:8]):
                with self.subTest(path=path, query=query[:40]):
                    self.ask("GET", path, query)
                    self.ask("GET", path, query, HTTP_ACCEPT_ENCODING="gzip")


# Percent-encoded bytes of any value, valid UTF-8 or not.
_encoded_bytes = st.binary(max_size=60).map(lambda raw: quote(raw, safe=""))
_encoded_text = st.text(max_size=60).map(lambda text: quote(text, safe=""))
_segment = st.one_of(_encoded_bytes, _encoded_text, st.from_regex(r"[-\w]{1,80}", fullmatch=True))
_FUZZ = hypothesis_settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class GeneratedRequestTests(FuzzMixin, HypothesisTestCase):
    """Random bytes and text (Hypothesis, derandomized) in every slot a reader can write."""

    @_FUZZ
    @given(name=st.sampled_from(sorted(ROUTES)), language=st.sampled_from(LANGUAGES),
           segment=_segment)  # fmt: skip
    def test_any_segment_in_a_slug(self, name: str, language: str, segment: str) -> None:
        if "slug" not in ROUTES[name] or not segment:
            return
        path = url(name, language, self.ids, slug="SLUG").replace("SLUG", segment)
        self.ask("GET", path)

    @_FUZZ
    @given(name=st.sampled_from(sorted(ROUTES)), language=st.sampled_from(LANGUAGES),
           key=st.sampled_from(["q", "page", "p", "category", "tag", "sort", "x"]),
           value=st.one_of(_encoded_bytes, _encoded_text))  # fmt: skip
    def test_any_value_in_a_query_string(
        self, name: str, language: str, key: str, value: str
    ) -> None:
        self.ask("GET", url(name, language, self.ids), f"{key}={value}")

    @_FUZZ
    @given(query=st.text(min_size=1, max_size=300))
    def test_any_search_query(self, query: str) -> None:
        for name in ("notes:search", "notes:search-feed-atom"):
            self.ask("GET", url(name, "zh-hans", self.ids), "q=" + quote(query, safe=""))

    @_FUZZ
    @given(language=st.text(st.characters(max_codepoint=255), max_size=200))
    def test_any_accept_language(self, language: str) -> None:
        self.ask("GET", "/admin/login/", HTTP_ACCEPT_LANGUAGE=language)
        self.ask("GET", "/", HTTP_ACCEPT_LANGUAGE=language)


class ErrorPageTests(FuzzMixin, TestCase):
    """What readers and editors see when a request goes wrong, in the site's design and
    language (production settings: DEBUG is off)."""

    def test_a_post_to_a_reader_page_is_a_405_page_not_a_csrf_failure(self) -> None:
        response = self.ask("POST", "/en/", data=b"q=x", content_type="text/plain")
        self.assertEqual(response.status_code, 405)
        self.assertEqual(response["Allow"], "GET, HEAD, OPTIONS")
        self.assertContains(response, "Method not allowed", status_code=405)
        self.assertContains(response, 'class="site-header', status_code=405)

    def test_the_405_page_speaks_the_address_language(self) -> None:
        response = self.ask("DELETE", url("notes:detail", "zh-hans", self.ids))
        self.assertContains(response, "<title>不允许的请求方法", status_code=405)

    def test_too_many_parameters_is_a_400_page(self) -> None:
        """Django refuses more than DATA_UPLOAD_MAX_NUMBER_FIELDS parameters; the 400 page
        itself must not read them again (it did, and answered 500)."""
        query = "&".join(f"k{i}=v" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
        response = self.ask("GET", "/en/", query)
        self.assertContains(response, "Bad request", status_code=400)

    def test_a_nul_in_a_search_filter_is_a_404(self) -> None:
        """PostgreSQL refuses NUL characters in a query: the filter must not reach it."""
        for key in ("category", "tag"):
            with self.subTest(key=key):
                response = self.ask("GET", "/en/search/", f"q=lora&{key}=large-model%00")
                self.assertContains(response, "Page not found", status_code=404)

    def test_an_unknown_host_is_a_400_page(self) -> None:
        response = self.ask("GET", "/", HTTP_HOST="evil.com")
        self.assertContains(response, "<title>请求无效</title>", status_code=400, html=False)

    def test_admin_forms_keep_their_csrf_protection(self) -> None:
        response = self.ask(
            "POST", "/admin/login/", data={"username": "a", "password": "b"},
            content_type="application/x-www-form-urlencoded",
        )  # fmt: skip
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "CSRF", status_code=403)

    def test_the_csrf_failure_page_is_the_sites(self) -> None:
        response = self.ask("POST", "/admin/login/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(response, "The form has expired", status_code=403)

    def test_the_403_page_renders(self) -> None:
        response = permission_denied(RequestFactory().get("/"), PermissionDenied())
        self.assertEqual(response.status_code, 403)
        self.assertIn("<title>无权访问", response.content.decode())

    def test_the_404_page_renders(self) -> None:
        response = self.ask("GET", "/en/notes/no-such-note/")
        self.assertContains(response, "Page not found", status_code=404)

    def test_the_500_page_renders_without_the_database(self) -> None:
        with self.assertNumQueries(0):
            response = server_error(RequestFactory().get("/"))
        self.assertContains(response, "Something went wrong", status_code=500)
