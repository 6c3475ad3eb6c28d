import os
import subprocess
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.templatetags.static import static
from django.test import TestCase
from django.urls import reverse

from tests.factories import make_category, make_note

ROOT = Path(__file__).resolve().parents[2]


class ContentSecurityPolicyTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.note = make_note(title="CSP", category=make_category("Large Model"))

    def test_reader_pages_forbid_inline_and_foreign_scripts(self) -> None:
        for url in (reverse("notes:list"), self.note.get_absolute_url(), "/no-such-page/"):
            with self.subTest(url=url):
                policy = self.client.get(url).headers["Content-Security-Policy"]
                self.assertIn("script-src 'self'", policy)
                self.assertNotIn("unsafe-inline", policy)

    def test_admin_gets_a_strict_policy_of_its_own(self) -> None:
        """The admin had no CSP at all; now only its own scripts and styles may run."""
        policy = self.client.get(reverse("admin:login")).headers["Content-Security-Policy"]
        self.assertIn("script-src 'self';", policy)
        self.assertIn("style-src 'self';", policy)
        self.assertIn("img-src 'self' data:;", policy)
        self.assertNotIn("unsafe-inline", policy)
        self.assertNotIn("https:", policy)  # readers' pages may show remote images; not here


class SecurityHeaderTests(TestCase):
    """Every kind of response carries them: reader pages, feeds, the admin, errors, static
    files (served by WhiteNoise, above which the headers are added)."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.note = make_note(title="Headers", category=make_category("Large Model"))
        cls.admin = get_user_model().objects.create_superuser("root", "root@example.org")

    def responses(self):
        anonymous = {
            "home": reverse("notes:list"),
            "note": self.note.get_absolute_url(),
            "rss feed": reverse("notes:feed"),
            "atom feed": reverse("notes:feed-atom"),
            "404": "/no-such-page/",
            "admin sign-in": reverse("admin:login"),
            "stylesheet": static("css/site.css"),
        }
        for name, url in anonymous.items():
            yield name, self.client.get(url)
        self.client.force_login(self.admin)
        editor = {
            "admin changelist": reverse("admin:notes_note_changelist"),
            "admin change form": reverse("admin:notes_note_change", args=[self.note.pk]),
        }
        for name, url in editor.items():
            yield name, self.client.get(url)

    def test_powerful_browser_features_are_switched_off(self) -> None:
        for name, response in self.responses():
            with self.subTest(name, status=response.status_code):
                policy = response.headers["Permissions-Policy"]
                for feature in ("camera", "microphone", "geolocation", "payment", "usb",
                                "browsing-topics", "interest-cohort"):  # fmt: skip
                    self.assertIn(f"{feature}=()", policy)

    def test_no_other_site_may_load_them_as_resources(self) -> None:
        for name, response in self.responses():
            with self.subTest(name, status=response.status_code):
                self.assertEqual(response.headers["Cross-Origin-Resource-Policy"], "same-origin")

    def test_windows_opened_across_origins_are_cut_off(self) -> None:
        for name, response in self.responses():
            with self.subTest(name, status=response.status_code):
                self.assertEqual(response.headers["Cross-Origin-Opener-Policy"], "same-origin")

    def test_every_admin_page_has_the_strict_policy(self) -> None:
        for name, response in self.responses():
            if name.startswith("admin"):
                with self.subTest(name):
                    policy = response.headers["Content-Security-Policy"]
                    self.assertIn("script-src 'self';", policy)
                    self.assertNotIn("unsafe", policy)

    def test_uploaded_figures_may_be_shown_by_feed_readers(self) -> None:
        """Feed readers and link previews show figures from their own origins."""
        response = self.client.get("/media/figures/1/missing.png")
        self.assertEqual(response.headers["Cross-Origin-Resource-Policy"], "cross-origin")


def run_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly this environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "site_config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = run_settings(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_production_refuses_the_development_key() -> None:
    result = run_settings(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="django-insecure-development-only-key-do-not-use-in-production",
    )
    assert result.returncode != 0
    assert "development secret key" in result.stderr


def test_debug_mode_starts_without_a_secret_key() -> None:
    assert run_settings(DJANGO_DEBUG="1").returncode == 0


def test_production_refuses_to_start_without_the_site_url() -> None:
    """Feeds and canonical links need the public address; the Host header is not it."""
    result = run_settings(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY="a-real-secret-key-for-this-test-0123456789abcdef"
    )
    assert result.returncode != 0
    assert "DJANGO_SITE_URL is required" in result.stderr
