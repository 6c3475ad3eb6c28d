"""Uploaded figures served by the live server in browser tests, as the web server serves
MEDIA_URL in production: the site's URLs plus media/, from a throwaway MEDIA_ROOT."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import path
from django.views.static import serve

from site_config.urls import urlpatterns as site_urlpatterns


def serve_media(request, path):
    """MEDIA_URL as Django serves it in development (site_config/urls.py, DEBUG only)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [*site_urlpatterns, path("media/<path:path>", serve_media)]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Uploads go to a throwaway MEDIA_ROOT, served by the live server."""
    settings.MEDIA_ROOT = tmp_path
    settings.ROOT_URLCONF = __name__
    return tmp_path
