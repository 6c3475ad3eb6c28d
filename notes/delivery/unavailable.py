"""A database that cannot be reached: the site's own 503 page instead of a 500.

While PostgreSQL is stopped, restarting or out of reach, a view that asks it fails with
``OperationalError`` (connection refused, connection terminated by the server) or
``InterfaceError`` (a connection already closed). Readers then get the site's page saying it
is briefly unavailable, with ``Retry-After``, drawn without the database: the header's
category navigation, which comes from the site state, is left out. A page the page cache
holds for the current site version is still served from Redis, asking no database
(notes.delivery.caching), so with Redis most pages stay up; nothing older than that is served.

Django closes a connection that failed once the request ends and checks a persistent one
before reusing it (``CONN_HEALTH_CHECKS``); a connection this failure left unusable is
closed here at once. The site comes back by itself with the database. An outage is logged
when a process first meets it, reminded at most once a minute while it lasts, and logged
again when a new connection succeeds: a few lines per worker, not a traceback per request.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views import defaults

from notes.delivery.outages import Outage, one_line

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30

# Served if even the designed page cannot be drawn: nothing here can fail again.
FALLBACK_PAGE = """<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>暂时无法访问 Temporarily unavailable</title></head>
<body><main><h1>暂时无法访问 <span lang="en">Temporarily unavailable</span></h1>
<p>网站暂时无法访问，通常一两分钟内会自动恢复，请稍后再试。</p>
<p lang="en">The site is briefly unavailable and comes back by itself, usually within a minute
or two. Please try again shortly.</p></main></body></html>
"""


_outage = Outage(
    logger,
    logging.ERROR,
    began="Database unreachable, answering 503 until it is back: %(error)s",
    still="Database still unreachable after %(seconds).0f s (%(count)d requests answered 503): "
    "%(error)s",
    back="Database reachable again after %(seconds).1f s; %(count)d requests were answered 503 "
    "meanwhile",
)


def _unreachable() -> bool:
    """Whether the failure left a connection unusable (or none made); such a connection is
    closed now, so the next request connects afresh."""
    unreachable = False
    for connection in connections.all(initialized_only=True):
        if not connection.errors_occurred:
            continue
        if connection.connection is None:
            unreachable = True
        elif not connection.in_atomic_block and not connection.is_usable():
            connection.close()
            unreachable = True
    return unreachable


def database_failed(error: BaseException) -> None:
    """Log a failure: an outage once when it begins and once a minute while it lasts; any
    other database error (a deadlock, a missing table) with its traceback, as it may be a bug."""
    if not _unreachable():
        logger.error("Database error, answered 503: %s", one_line(error), exc_info=error)
        return
    _outage.failed(error)


@receiver(connection_created, dispatch_uid="notes.delivery.unavailable.database_back")
def database_back(sender, connection, **kwargs) -> None:
    _outage.ended()


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 page in the site's design and the request's language, drawn without the
    database: every context processor value is computed without it except the category
    navigation, replaced here by none."""
    # The page's own language, even when the failure came before the locale middleware ran.
    language = translation.get_language_from_path(request.path_info)
    try:
        with translation.override(language or translation.get_language()):
            response = render(
                request, "503.html", {"nav_categories": (), "navigation": ()}, status=503
            )
    except Exception:
        logger.exception("The 503 page could not be drawn; serving the plain one")
        response = HttpResponse(FALLBACK_PAGE, status=503, content_type="text/html")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # No proxy or CDN may keep the error page past the outage.
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a view's ``OperationalError``/``InterfaceError`` into the 503 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        database_failed(exception)
        return unavailable_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database failure outside a view (drawing a 404 page, which shows the
    category navigation, or in a middleware) is the 503 page too; anything else is Django's
    500 page (templates/500.html)."""
    error = sys.exc_info()[1]
    if not isinstance(error, OperationalError | InterfaceError):
        return defaults.server_error(request)
    database_failed(error)
    response = unavailable_response(request)
    # Logged above (once per outage), not again by Django as a traceback per request.
    response._has_been_logged = True
    return response
