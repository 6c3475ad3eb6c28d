"""The code shape a newcomer can carry on (issue 18): small modules, a content-sized Note, a
short README, and a docstring on every module of the app."""

from __future__ import annotations

import ast
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 500
MAX_NOTE_LINES = 250
MAX_README_BYTES = 12 * 1024


def python_modules() -> list[Path]:
    """Every Python module of the project but migrations (generated)."""
    found = []
    for folder in ("notes", "site_config", "bench", "tests"):
        found += [path for path in (ROOT / folder).rglob("*.py") if "migrations" not in path.parts]
    return [*found, ROOT / "manage.py"]


class CodeShapeTests(SimpleTestCase):
    def test_no_module_over_500_lines(self) -> None:
        long = {
            str(path.relative_to(ROOT)): lines
            for path in python_modules()
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
        }
        self.assertEqual(long, {}, "split these modules by concern")

    def test_the_note_class_is_a_content_model(self) -> None:
        tree = ast.parse((ROOT / "notes" / "models" / "note.py").read_text(encoding="utf-8"))
        (note,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Note"]
        self.assertLessEqual(note.end_lineno - note.lineno + 1, MAX_NOTE_LINES)

    def test_the_readme_is_short(self) -> None:
        self.assertLessEqual((ROOT / "README.md").stat().st_size, MAX_README_BYTES)

    def test_every_module_of_the_app_says_what_it_is_for(self) -> None:
        missing = [
            str(path.relative_to(ROOT))
            for path in (ROOT / "notes").rglob("*.py")
            if "migrations" not in path.parts
            and path.stat().st_size
            and ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
        ]
        self.assertEqual(missing, [])
