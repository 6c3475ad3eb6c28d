"""System checks (notes/checks.py): the deploy check on the site's public address."""

from __future__ import annotations

from django.test import SimpleTestCase, override_settings

from notes.checks import site_url_is_public_address


def check_ids(**settings) -> list[str]:
    with override_settings(**settings):
        return [problem.id for problem in site_url_is_public_address(None)]


class SiteUrlDeployCheckTests(SimpleTestCase):
    def test_a_public_https_address_among_the_allowed_hosts_passes(self) -> None:
        ids = check_ids(SITE_URL="https://notes.example.org", ALLOWED_HOSTS=["notes.example.org"])
        self.assertEqual(ids, [])

    def test_a_missing_address_is_an_error(self) -> None:
        self.assertEqual(check_ids(SITE_URL=""), ["notes.E001"])

    def test_an_address_with_a_path_is_an_error(self) -> None:
        """Reversed URLs already carry their path: a prefix here would be doubled."""
        ids = check_ids(SITE_URL="https://example.org/notes", ALLOWED_HOSTS=["example.org"])
        self.assertEqual(ids, ["notes.E001"])

    def test_something_that_is_not_an_address_is_an_error(self) -> None:
        self.assertEqual(check_ids(SITE_URL="notes.example.org"), ["notes.E001"])

    def test_plain_http_is_a_warning(self) -> None:
        ids = check_ids(SITE_URL="http://notes.example.org", ALLOWED_HOSTS=["notes.example.org"])
        self.assertEqual(ids, ["notes.W002"])

    def test_a_host_the_site_would_refuse_is_a_warning(self) -> None:
        ids = check_ids(SITE_URL="https://notes.example.org", ALLOWED_HOSTS=["other.example.org"])
        self.assertEqual(ids, ["notes.W003"])

    def test_it_runs_with_the_deploy_checks_only(self) -> None:
        from django.core.checks import registry

        self.assertIn(site_url_is_public_address, registry.registry.get_checks(True))
        self.assertNotIn(site_url_is_public_address, registry.registry.get_checks(False))
