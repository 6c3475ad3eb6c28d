"""Admin sign-in throttling (django-axes; the lockout page is notes/lockout.py): five wrong
passwords pause that user name from that address for 15 minutes, and nobody else."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
LOGIN = reverse("admin:login") + "?next=/admin/"
PASSWORD = "correct-horse-42"
ATTACKER = "203.0.113.5"
# What settings.py sets with DJANGO_BEHIND_PROXY=1 and one proxy (checked below).
BEHIND_ONE_PROXY = {
    "AXES_IPWARE_META_PRECEDENCE_ORDER": ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"),
    "AXES_IPWARE_PROXY_ORDER": "left-most",
    "AXES_IPWARE_PROXY_COUNT": 0,
    "IPWARE_STRICT": False,
}


# Every wrong password is hashed and compared; the production hasher takes ~0.3 s each.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class LockoutTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        users = get_user_model().objects
        cls.editor = users.create_user("editor", password=PASSWORD, is_staff=True)
        cls.colleague = users.create_user("colleague", password=PASSWORD, is_staff=True)

    def sign_in(self, username: str = "editor", password: str = PASSWORD, **meta):
        meta.setdefault("REMOTE_ADDR", ATTACKER)
        return self.client.post(LOGIN, {"username": username, "password": password}, **meta)

    def fail(self, times: int, username: str = "editor", **meta) -> None:
        for _ in range(times):
            response = self.sign_in(username, "wrong-password", **meta)
            self.assertIn(response.status_code, (200, 429))

    def signed_in(self, response) -> bool:
        return response.status_code == 302 and "_auth_user_id" in self.client.session


class LockoutTests(LockoutTestCase):
    def test_four_wrong_passwords_still_let_the_right_one_in(self) -> None:
        self.fail(4)
        self.assertTrue(self.signed_in(self.sign_in()))

    def test_after_five_the_right_password_is_refused_too(self) -> None:
        self.fail(5)
        response = self.sign_in()
        self.assertEqual(response.status_code, 429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_lockout_page_is_the_admin_sign_in_page_explaining_the_pause(self) -> None:
        self.fail(5)
        response = self.sign_in()
        self.assertEqual(response["Content-Type"], "text/html; charset=utf-8")
        html = response.content.decode()
        self.assertIn("admin/css/login", html)  # the admin's own sign-in design
        self.assertIn("<h1>登录已暂停</h1>", html)
        self.assertIn("密码已连续输错 5 次", html)
        self.assertIn("暂停 15 分钟", html)
        self.assertIn(f'href="{reverse("admin:login")}"', html)

    def test_lockout_page_speaks_english_to_an_english_browser(self) -> None:
        self.fail(5)
        response = self.sign_in(HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(response, "paused for 15 minutes", status_code=429)

    def test_another_editor_at_the_same_address_still_signs_in(self) -> None:
        """Locking by user name alone would let one attacker lock out every editor."""
        self.fail(5)
        self.assertTrue(self.signed_in(self.sign_in("colleague")))

    def test_the_same_editor_from_another_address_still_signs_in(self) -> None:
        self.fail(5)
        self.assertTrue(self.signed_in(self.sign_in(REMOTE_ADDR="198.51.100.20")))

    def test_the_pause_ends_after_fifteen_minutes(self) -> None:
        self.fail(5)
        earlier = timezone.now() - timedelta(minutes=15, seconds=1)
        AccessAttempt.objects.update(attempt_time=earlier)
        self.assertTrue(self.signed_in(self.sign_in()))

    def test_failed_attempts_are_listed_in_the_admin(self) -> None:
        self.fail(3)
        admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
        self.client.force_login(admin)
        response = self.client.get(reverse("admin:axes_accessattempt_changelist"))
        self.assertContains(response, "editor")
        self.assertContains(response, ATTACKER)
        self.assertEqual(AccessAttempt.objects.get().failures_since_start, 3)


@override_settings(**BEHIND_ONE_PROXY)
class BehindProxyTests(LockoutTestCase):
    """Behind nginx every request comes from the proxy's address; the client's is the last
    entry of X-Forwarded-For, the one the proxy appended. Entries left of it are the client's
    own writing."""

    PROXY = {"REMOTE_ADDR": "127.0.0.1"}

    def test_the_client_address_is_the_one_the_proxy_appended(self) -> None:
        self.fail(5, HTTP_X_FORWARDED_FOR=ATTACKER, **self.PROXY)
        self.assertEqual(AccessAttempt.objects.get().ip_address, ATTACKER)

    def test_editors_behind_one_proxy_are_told_apart(self) -> None:
        self.fail(5, HTTP_X_FORWARDED_FOR=ATTACKER, **self.PROXY)
        response = self.sign_in(HTTP_X_FORWARDED_FOR="198.51.100.20", **self.PROXY)
        self.assertTrue(self.signed_in(response))

    def test_a_forged_header_does_not_escape_the_lockout(self) -> None:
        """Changing what the client writes in X-Forwarded-For every time gives it no fresh
        start: only the address the proxy appended counts."""
        for number in range(5):
            forged = f"192.0.2.{number}, {ATTACKER}"
            self.fail(1, HTTP_X_FORWARDED_FOR=forged, **self.PROXY)
        response = self.sign_in(HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}", **self.PROXY)
        self.assertEqual(response.status_code, 429)
        self.assertEqual(AccessAttempt.objects.get().ip_address, ATTACKER)


def settings_value(expression: str, **env: str) -> str:
    """A value of the settings as a fresh interpreter computes it from this environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "site_config.settings", "DJANGO_DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_behind_proxy_the_address_comes_from_x_forwarded_for() -> None:
    expression = (
        "(settings.AXES_IPWARE_META_PRECEDENCE_ORDER, settings.AXES_IPWARE_PROXY_ORDER, "
        "settings.AXES_IPWARE_PROXY_COUNT, settings.IPWARE_STRICT)"
    )
    value = settings_value(expression, DJANGO_BEHIND_PROXY="1")
    expected = BEHIND_ONE_PROXY
    assert value == repr(tuple(expected.values()))


def test_without_a_proxy_only_the_connection_address_counts() -> None:
    value = settings_value("settings.AXES_IPWARE_META_PRECEDENCE_ORDER")
    assert value == "('REMOTE_ADDR',)"
