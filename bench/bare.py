"""The bare baseline of the load benchmark (bench/run.py): one Django view, in its own gunicorn
with bench.bare_settings, returning the same bytes as ``/_hello/`` (the home page's own, read
from ``BENCH_HELLO_FILE``). With no GZipMiddleware here, the gzip copy is made once at import,
as GZipMiddleware would make it, so the bytes on the wire are those a cached page sends."""

import os
import re
from pathlib import Path

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare_settings"

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.text import compress_string

BODY = Path(os.environ["BENCH_HELLO_FILE"]).read_bytes()
# GZipMiddleware's own call: level 6, and up to 100 random bytes against BREACH.
BODY_GZIP = compress_string(BODY, max_random_bytes=100)
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def hello(request: HttpRequest) -> HttpResponse:
    gzipped = bool(_ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))
    response = HttpResponse(BODY_GZIP if gzipped else BODY, content_type="text/html; charset=utf-8")
    if gzipped:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["Content-Length"] = str(len(response.content))
    return response


urlpatterns = [path("_hello/", hello)]

application = get_wsgi_application()
