"""The stock reference of the load benchmark's warm run (bench/run.py): the bare app's view
behind Django's own page cache (``UpdateCacheMiddleware``, ``GZipMiddleware``,
``FetchFromCacheMiddleware``) on Django's own ``RedisCache``, in its own gunicorn. What a
cached page costs with Django's tools and nothing else, for the ``*/stock`` ratios."""

import os
from pathlib import Path

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.stock_settings"

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

BODY = Path(os.environ["BENCH_HELLO_FILE"]).read_bytes()


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


urlpatterns = [path("_hello/", hello)]

application = get_wsgi_application()
