"""pytest plugin (loaded with -p in pyproject.toml) run before Django reads its settings.

The suite runs with production settings (DEBUG off), so it needs a secret key; a real
deployment sets its own. HTTPS redirects are off because the test client speaks plain HTTP.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
# Production settings need the site's public address; the test client's own host keeps
# absolute links in tests readable (http://testserver/notes/...).
os.environ.setdefault("DJANGO_SITE_URL", "http://testserver")

# Tests collect static files into a throwaway folder (see tests/conftest.py), so pages
# render through the same manifest storage as production.
os.environ.setdefault("DJANGO_STATIC_ROOT", tempfile.mkdtemp(prefix="research-notes-static-"))
