"""The site's URLs plus ``/_hello/``: a bare Django view returning a fixed body (the home page's
own bytes, read once at start), served by the same server and middleware, so every page is
also measured as a ratio to what the framework itself does on this machine."""

import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import path

from site_config.urls import urlpatterns as site_urlpatterns

BODY = (
    Path(os.environ["BENCH_HELLO_FILE"]).read_bytes() if "BENCH_HELLO_FILE" in os.environ else b""
)


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


urlpatterns = [path("_hello/", hello), *site_urlpatterns]
