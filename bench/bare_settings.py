"""Settings of the benchmark's bare Django app (bench/bare.py): no apps, no middleware, no
database, DEBUG off. What the framework alone costs per request on this machine."""

DEBUG = False
SECRET_KEY = "bench-bare-only-never-used-for-signing"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.bare"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict] = {}
USE_I18N = False
