import pytest
from django.core.management import call_command


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
    cache's own tests (tests/test_caching.py) turn it back on."""
    from django.core.cache import cache

    settings.PAGE_CACHE = False
    cache.clear()
    yield
    cache.clear()
