"""Exporting notes as Markdown files, and export-import-export round trips of a whole library."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from notes.importexport import import_paths
from notes.models import Category, Note, NotePaper, Paper, TagAlias
from tests.importexport.helpers import (
    build_library,
    export_to,
    folder_bytes,
    front_matter,
    paper_lists,
    wipe_database,
    write,
)

pytestmark = pytest.mark.django_db


# --- Export ---------------------------------------------------------------------------


def test_export_writes_drafts_too(tmp_path: Path) -> None:
    category = Category.objects.create(name="Large Model")
    Note.objects.create(title="Work in progress", slug="wip", category=category)
    exported = export_to(tmp_path) / "wip.md"
    assert front_matter(exported)["draft"] is True


def test_export_then_import_restores_a_draft_as_a_draft(tmp_path: Path) -> None:
    category = Category.objects.create(name="Large Model")
    Note.objects.create(title="Work in progress", slug="wip", category=category)
    export_to(tmp_path)
    Note.objects.all().delete()
    import_paths([tmp_path])
    assert Note.objects.get(slug="wip").status == Note.Status.DRAFT


def test_export_import_export_round_trip_gives_identical_files(tmp_path: Path) -> None:
    """An export is a backup: restoring it into an empty site and exporting again
    must give byte-identical files."""
    build_library()
    first = folder_bytes(export_to(tmp_path / "a"))
    wipe_database()
    call_command("import_notes", str(tmp_path / "a"), stdout=StringIO(), stderr=StringIO())
    second = folder_bytes(export_to(tmp_path / "b"))
    assert sorted(second) == sorted(first)
    assert second == first


def test_round_trip_keeps_shared_papers_and_every_field(tmp_path: Path) -> None:
    build_library()
    before, records = paper_lists(), Paper.objects.count()
    assert [row[-1] for row in before["ddpm-denoising-diffusion-1"]] == [
        "ho2020denoising", "hu2022lora", "hu2022lora-b",
    ]  # fmt: skip
    export_to(tmp_path / "a")
    meta = front_matter(tmp_path / "a" / "lora.md")
    # The chosen key and the one made again differently are written; a made one is not.
    assert [paper.get("key") for paper in meta["papers"]] == [None, "qlora"]
    assert meta["papers"][1]["published"] == dt.date(2023, 5, 23)
    wipe_database()
    assert import_paths([tmp_path / "a"]).errors == []
    assert (paper_lists(), Paper.objects.count()) == (before, records)
    assert sorted(Paper.objects.get(arxiv="2106.09685").notes.values_list("slug", flat=True)) == [
        "ddpm-denoising-diffusion-1", "lora",
    ]  # fmt: skip


def test_round_trip_keeps_two_records_of_a_paper_without_identifiers(tmp_path: Path) -> None:
    """Two notes' copies of a paper with neither arXiv id nor DOI stayed two records when
    papers became shared (0018 merges by identifier only); the second one's key, taken when
    it was made, tells them apart in a backup."""
    category = Category.objects.create(name="ML")
    for slug in ("chinchilla", "scaling"):
        note = Note.objects.create(title=slug, slug=slug, category=category)
        note.papers.create(title="Chinchilla", authors="Jordan Hoffmann", year=2022)
    before = paper_lists()
    assert [before[slug][0][-1] for slug in ("chinchilla", "scaling")] == [
        "hoffmann2022chinchilla", "hoffmann2022chinchilla-b",
    ]  # fmt: skip
    first = folder_bytes(export_to(tmp_path / "a"))
    wipe_database()
    assert import_paths([tmp_path / "a"]).errors == []
    assert paper_lists() == before
    assert folder_bytes(export_to(tmp_path / "b")) == first


def test_importing_a_backup_over_the_same_site_changes_nothing(tmp_path: Path) -> None:
    """Its papers are already on the site: each note lists the same records again, and no
    paper is made twice or refused as a second record of itself."""
    build_library()
    before = paper_lists()
    records = set(Paper.objects.values_list("pk", flat=True))
    links = set(NotePaper.objects.values_list("note", "paper", "position"))
    first = folder_bytes(export_to(tmp_path / "a"))
    assert import_paths([tmp_path / "a"]).errors == []
    assert paper_lists() == before
    assert set(Paper.objects.values_list("pk", flat=True)) == records
    assert set(NotePaper.objects.values_list("note", "paper", "position")) == links
    assert folder_bytes(export_to(tmp_path / "b")) == first


def test_tag_aliases_travel_in_tags_file(tmp_path: Path) -> None:
    build_library()
    export_to(tmp_path)
    assert "linear attention" in (tmp_path / "_tags.yml").read_text(encoding="utf-8")
    wipe_database()
    import_paths([tmp_path])
    aliases = TagAlias.objects.filter(tag__name="大模型").values_list("name", flat=True)
    assert sorted(aliases) == ["LLM", "大语言模型"]


def test_broken_tags_file_is_reported_and_notes_still_import(tmp_path: Path) -> None:
    write(tmp_path, "note.md", "---\ntitle: A note\ncategory: ML\n---\nBody.\n")
    write(tmp_path, "_tags.yml", "- aliases: [nameless]\n")
    report = import_paths([tmp_path])
    assert Note.objects.filter(slug="note").exists()
    assert [str(path.name) for path, _ in report.errors] == ["_tags.yml"]


def test_round_trip_restores_visibility(tmp_path: Path) -> None:
    """Drafts stay drafts and scheduled notes stay hidden after a restore."""
    build_library()
    before = sorted(Note.objects.published().values_list("slug", flat=True))
    export_to(tmp_path)
    wipe_database()
    import_paths([tmp_path])
    assert sorted(Note.objects.published().values_list("slug", flat=True)) == before
