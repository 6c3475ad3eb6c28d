"""notes.delivery.unavailable: a database that cannot be reached is the site's own 503 page,
not a 500.

The outage is simulated in the test process as a stopped server looks to Django: the open
connection is gone and every new one is refused by the driver. tests/delivery/test_faults.py stops
the real PostgreSQL under gunicorn (`make test-faults`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import RequestFactory, TransactionTestCase

from notes.delivery import unavailable


@contextmanager
def database_down() -> Iterator[None]:
    """The server is stopped: the open connection fails and no new one is accepted (an
    in-memory SQLite test database cannot really be closed, so its queries fail instead)."""
    refused = connection.Database.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
        "Connection refused\n\tIs the server running on that host?"
    )
    with (
        mock.patch.object(connection, "get_new_connection", side_effect=refused),
        mock.patch.object(connection, "create_cursor", side_effect=refused),
        mock.patch.object(connection, "is_usable", return_value=False),
    ):
        yield


class OutageTests(TransactionTestCase):
    """Transactional: the outage closes the connection, which a test's transaction cannot
    survive."""

    def setUp(self) -> None:
        unavailable._outage.began = None
        unavailable._outage.count = 0
        self.client.raise_request_exception = False

    def test_a_page_is_the_friendly_503_in_the_sites_design(self) -> None:
        with database_down():
            response = self.client.get("/")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response["Retry-After"], str(unavailable.RETRY_AFTER_SECONDS))
        self.assertEqual(response["Cache-Control"], "no-store")
        # The designed page (header, stylesheet, the default language), not the plain fallback
        # the middleware draws when the template itself needed the database.
        self.assertContains(response, "暂时无法访问", status_code=503)
        self.assertContains(response, 'class="site-header"', status_code=503)
        self.assertContains(response, "css/site.", status_code=503)
        self.assertContains(response, '<meta name="robots" content="noindex">', status_code=503)
        self.assertNotContains(response, "Traceback", status_code=503)
        self.assertNotContains(response, "OperationalError", status_code=503)

    def test_the_503_page_speaks_the_pages_language(self) -> None:
        with database_down():
            response = self.client.get("/en/feed/")
        self.assertContains(response, "Temporarily unavailable", status_code=503)
        self.assertContains(response, 'href="/en/feed/">Try again</a>', status_code=503)

    def test_an_address_with_no_page_is_the_503_too(self) -> None:
        """Its 404 page would show the category navigation, which comes from the database."""
        with database_down():
            response = self.client.get("/no/such/page/")
        self.assertEqual(response.status_code, 503)
        self.assertContains(response, 'class="site-header"', status_code=503)

    def test_an_outage_is_logged_once(self) -> None:
        with (
            self.assertLogs("notes.delivery.unavailable", logging.WARNING) as logs,
            database_down(),
        ):
            for path in ("/", "/feed/", "/tag/"):
                self.assertEqual(self.client.get(path).status_code, 503)
        self.assertEqual(len(logs.records), 1, logs.output)
        self.assertIn("Database unreachable", logs.output[0])
        self.assertIn("Connection refused", logs.output[0])
        self.assertNotIn("Traceback", logs.output[0])

    def test_the_end_of_an_outage_is_logged_when_a_connection_is_made(self) -> None:
        with database_down():
            for path in ("/", "/feed/"):
                self.client.get(path)
        with self.assertLogs("notes.delivery.unavailable", logging.WARNING) as logs:
            # What Django signals when it connects again (an in-memory SQLite database never
            # disconnected, so it is sent here).
            connection_created.send(sender=type(connection), connection=connection)
        self.assertEqual(len(logs.records), 1, logs.output)
        self.assertIn("reachable again", logs.output[0])
        self.assertIn("2 requests were answered 503", logs.output[0])

    def test_the_site_answers_again_when_the_database_is_back(self) -> None:
        with database_down():
            self.assertEqual(self.client.get("/").status_code, 503)
        self.assertEqual(self.client.get("/").status_code, 200)


def test_other_errors_stay_500() -> None:
    """Only a database that cannot be reached is 'temporarily unavailable'."""
    request = RequestFactory().get("/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = unavailable.server_error(request)
    assert response.status_code == 500


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL option")
def test_connecting_to_postgresql_gives_up_after_three_seconds() -> None:
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == 3
