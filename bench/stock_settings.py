"""Settings of the benchmark's stock reference (bench/stock.py): Django's page cache
middleware and Redis cache backend as documented, no apps, no database, DEBUG off."""

import os

DEBUG = False
SECRET_KEY = "bench-stock-only-never-used-for-signing"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.stock"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.cache.UpdateCacheMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.cache.FetchFromCacheMiddleware",
]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        "KEY_PREFIX": "bench-stock",
    }
}
CACHE_MIDDLEWARE_SECONDS = 600
DATABASES: dict[str, dict] = {}
USE_I18N = False
