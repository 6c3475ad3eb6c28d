import pytest
from django.core.management import call_command

# Tests that stop the machine's shared services (tests/delivery/test_faults.py stops
# PostgreSQL): left out of every run whose `-m` does not name them, so neither `pytest` nor
# `make test` (nor someone running one file) can break another run in progress.
# `make test-faults` names them.
OPT_IN_MARKERS = ("faults",)


def pytest_collection_modifyitems(config, items) -> None:
    wanted = config.getoption("markexpr", "") or ""
    left_out = [
        item
        for item in items
        if any(item.get_closest_marker(name) and name not in wanted for name in OPT_IN_MARKERS)
    ]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker) -> None:
    """Production storage hashes static file names from a manifest; build it once."""
    with django_db_blocker.unblock():
        call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language: a request to /en/... activates English
    for the rest of its thread, as it should in a server, where the next request re-activates."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def page_cache_off(settings):
    """Tests read each response's context, which a page served from the cache has not; the
    cache's own tests (tests/delivery/test_caching.py) turn it back on."""
    from django.core.cache import cache

    settings.PAGE_CACHE = False
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def one_request_at_a_time_on_in_memory_sqlite():
    """The browser tests' live server shares the test's in-memory SQLite connection with every
    request thread, and a browser loads a page's parts in parallel (the admin page and its
    JavaScript catalogue both read the session): two threads on one sqlite3 connection fail
    with "bad parameter or other API misuse". Requests there take turns; PostgreSQL (each
    thread its own connection) keeps them parallel. Only the live server's handler is
    serialized, per request, so kept-alive connections never wait on each other."""
    import threading

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    turn = threading.RLock()  # a static or media handler may wrap another handler
    handle = WSGIHandler.__call__

    def one_at_a_time(self, environ, start_response):
        with turn:
            return handle(self, environ, start_response)

    WSGIHandler.__call__ = one_at_a_time
    yield
    WSGIHandler.__call__ = handle
