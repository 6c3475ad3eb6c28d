import pytest
from django.core.management import call_command


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker) -> None:
    """Production storage hashes static file names from a manifest; build it once."""
    with django_db_blocker.unblock():
        call_command("collectstatic", interactive=False, verbosity=0)
