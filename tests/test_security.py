import os
import subprocess
import sys
from pathlib import Path

from django.test import TestCase
from django.urls import reverse

from tests.factories import make_category, make_note

ROOT = Path(__file__).resolve().parent.parent


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

    def test_admin_is_left_to_django(self) -> None:
        response = self.client.get(reverse("admin:login"))
        self.assertNotIn("Content-Security-Policy", response.headers)


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
