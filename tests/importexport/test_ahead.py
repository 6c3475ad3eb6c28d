"""Import with bodies rendered ahead in worker processes: the notes are exactly what an import
without workers makes, links between the imported notes included."""

from __future__ import annotations

import shutil
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import transaction

from notes.importexport import ahead, import_paths
from notes.models import Note
from notes.rendering import LinkTarget, RenderContext, fits_context, render_markdown

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "notes"
STORED = ("body_html", "excerpt", "excerpt_html", "toc_html", "has_math", "reading_minutes",
          "lang", "render_warnings", "title_key")  # fmt: skip

pytestmark = pytest.mark.django_db(transaction=False)


def imported(folder: Path, workers: int) -> tuple[dict[str, tuple], int]:
    """The stored rendering of every note an import of ``folder`` makes, by slug, and how many
    bodies the saving process rendered itself; rolled back."""
    with (
        mock.patch.object(ahead, "processes", return_value=workers),
        mock.patch("notes.models.rendered.render_markdown", wraps=render_markdown) as renders,
        transaction.atomic(),
    ):
        report = import_paths([folder])
        assert not report.errors, report.errors
        notes = {
            note.slug: tuple(getattr(note, name) for name in STORED) for note in Note.objects.all()
        }
        transaction.set_rollback(True)
    return notes, renders.call_count


def test_workers_make_the_same_notes_as_the_saving_process(tmp_path: Path) -> None:
    """The demo notes (math, tables, code, [[links]] both ways between them) and enough
    links to notes later in the folder to use the workers."""
    folder = tmp_path / "notes"
    shutil.copytree(DEMO_DIR, folder)
    for index in range(ahead.MIN_FILES):
        target = "lora" if index % 2 else f"extra-{index + 1:02d}"
        (folder / f"extra-{index:02d}.md").write_text(
            f"---\ntitle: Extra {index}\nslug: extra-{index:02d}\ncategory: Large Model\n---\n"
            f"See [[{target}]] and $x_{{{index}}}^2$.\n",
            encoding="utf-8",
        )
    alone, rendered_alone = imported(folder, workers=1)
    with_workers, rendered_by_saver = imported(folder, workers=2)
    assert len(alone) == len(with_workers) > ahead.MIN_FILES
    assert with_workers == alone
    # The workers' renderings were taken wherever they fit: at least the extras whose link
    # pointed at a note not yet imported (those linking to an imported note render again, and
    # a note is rendered again when a note its links name arrives, with or without workers).
    saved = rendered_alone - rendered_by_saver
    assert saved >= ahead.MIN_FILES // 2, (rendered_by_saver, rendered_alone)


def test_a_rendering_that_assumed_a_link_missing_does_not_fit_when_it_resolves() -> None:
    result = render_markdown("See [[lora]] and $x$.", RenderContext())
    assert fits_context(result, RenderContext())
    lora = LinkTarget(slug="lora", url="/notes/lora/", title="LoRA")
    assert not fits_context(result, RenderContext(resolve_link={"lora": lora}.get))
    assert not fits_context(result, RenderContext(image_sizes={"/media/a.png": (10, 10)}))


def test_few_files_are_rendered_by_the_saving_process_itself() -> None:
    bodies = ["x"] * (ahead.MIN_FILES - 1)
    assert list(ahead.render_ahead(bodies, Note.render_limits(), workers=2)) == [None] * len(bodies)
