"""Whole backups: figures, old names, tag slugs, authors and exact dates travel in the files."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from taggit.models import Tag

from notes.importexport import import_paths
from notes.models import Category, Note, TagAlias
from tests.importexport.helpers import (
    LORA,
    build_library,
    export_to,
    front_matter,
    note_file,
    wipe_database,
    write,
)

pytestmark = pytest.mark.django_db


# --- Whole backups: figures, old names, tag slugs, authors, exact dates -----------------


@pytest.fixture
def media_root(tmp_path: Path, settings) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def figure_note(media_root: Path) -> Note:
    """A note with one uploaded figure (a real 12×8 PNG in MEDIA_ROOT)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from notes.models import Figure

    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), (10, 20, 30)).save(buffer, format="PNG")
    note = Note.objects.create(
        title="Figures", slug="figures", category=Category.objects.create(name="ML")
    )
    Figure.objects.create(
        note=note,
        image=SimpleUploadedFile("a.png", buffer.getvalue()),
        alt="示意图",
        caption="图 1",
    )
    return note


def test_figures_travel_in_the_front_matter(tmp_path: Path, media_root: Path) -> None:
    figure = figure_note(media_root).figures.get()
    meta = front_matter(export_to(tmp_path / "out") / "figures.md")
    assert meta["figures"] == [
        {"image": figure.image.name, "alt": "示意图", "caption": "图 1", "width": 12, "height": 8}
    ]


def test_figures_are_restored_from_the_media_folder(tmp_path: Path, media_root: Path) -> None:
    from notes.models import Figure

    name = figure_note(media_root).figures.get().image.name
    export_to(tmp_path / "out")
    Note.objects.all().delete()
    assert import_paths([tmp_path / "out"]).errors == []
    restored = Figure.objects.get()
    assert (restored.note.slug, restored.image.name, restored.width) == ("figures", name, 12)


def test_a_figure_missing_from_the_media_folder_is_reported(
    tmp_path: Path, media_root: Path
) -> None:
    name = figure_note(media_root).figures.get().image.name
    export_to(tmp_path / "out")
    Note.objects.all().delete()
    (media_root / name).unlink()
    report = import_paths([tmp_path / "out"])
    assert report.errors == []
    assert any(name in message for _path, message in report.notices)


def test_a_file_without_figures_leaves_the_notes_figures_alone(
    tmp_path: Path, media_root: Path
) -> None:
    note = figure_note(media_root)
    import_paths([write(tmp_path, "figures.md", note_file("Figures", category="ML"))])
    assert note.figures.count() == 1


def test_a_figure_outside_the_media_folder_is_refused(tmp_path: Path) -> None:
    meta = "figures:\n  - image: ../../etc/passwd\n    width: 1\n    height: 1"
    path = write(tmp_path, "bad.md", f"---\ntitle: Bad\n{meta}\n---\nBody.\n")
    report = import_paths([path])
    assert [(p.name, "media folder" in message) for p, message in report.errors] == [
        ("bad.md", True)
    ]


def test_old_slugs_and_titles_travel(tmp_path: Path) -> None:
    from notes.models import OldName

    note = Note.objects.create(
        title="Old title", slug="old", category=Category.objects.create(name="ML")
    )
    note.title, note.slug = "New title", "new"
    note.save()
    meta = front_matter(export_to(tmp_path / "out") / "new.md")
    assert (meta["old_slugs"], meta["old_titles"]) == (["old"], ["old title"])
    Note.objects.all().delete()
    import_paths([tmp_path / "out"])
    assert sorted(OldName.objects.values_list("kind", "key", "note__slug")) == [
        ("slug", "old", "new"),
        ("title", "old title", "new"),
    ]


def test_a_note_linking_by_an_old_name_imported_first_still_links(tmp_path: Path) -> None:
    write(tmp_path, "a-first.md", note_file("First", body="See [[Old title]].", category="ML"))
    write(tmp_path, "z-target.md", note_file("New title", old_titles="[Old title]", category="ML"))
    import_paths([tmp_path])
    assert 'href="/notes/z-target/"' in Note.objects.get(slug="a-first").body_html


def test_tag_slugs_travel(tmp_path: Path) -> None:
    category = Category.objects.create(name="ML")
    Note.objects.create(title="A", slug="a", category=category).tags.set(["量化"])
    Tag.objects.filter(name="量化").update(slug="quantization")
    export_to(tmp_path / "out")
    wipe_database()
    import_paths([tmp_path / "out"])
    assert Tag.objects.get(name="量化").slug == "quantization"


def test_tags_whose_slugs_collide_get_their_own_back(tmp_path: Path) -> None:
    """Tags "C++" and "C" both slugify to "c": restored in another order, they swap back."""
    category = Category.objects.create(name="ML")
    Note.objects.create(title="Z", slug="z", category=category).tags.set(["C++"])
    Note.objects.create(title="A", slug="a", category=category).tags.set(["C"])
    before = dict(Tag.objects.values_list("name", "slug"))
    export_to(tmp_path / "out")
    wipe_database()
    assert import_paths([tmp_path / "out"]).errors == []
    assert dict(Tag.objects.values_list("name", "slug")) == before


def test_an_older_tags_file_without_slugs_still_imports(tmp_path: Path) -> None:
    write(tmp_path, "n.md", note_file(category="ML", tags="[大模型]"))
    write(tmp_path, "_tags.yml", "- name: 大模型\n  aliases: [LLM]\n")
    assert import_paths([tmp_path]).errors == []
    assert list(TagAlias.objects.values_list("name", flat=True)) == ["LLM"]


def test_authors_names_travel(tmp_path: Path) -> None:
    build_library()
    export_to(tmp_path / "out")
    wipe_database()
    import_paths([tmp_path / "out"])
    author = Note.objects.get(slug="lora").author
    assert (author.username, author.get_full_name()) == ("edward", "Edward Hu")
    assert not author.has_usable_password() and not author.is_staff


def test_an_existing_users_name_is_not_replaced(tmp_path: Path) -> None:
    build_library()
    export_to(tmp_path / "out")
    get_user_model().objects.filter(username="edward").update(first_name="Ed", last_name="H.")
    import_paths([tmp_path / "out"])
    assert get_user_model().objects.get(username="edward").get_full_name() == "Ed H."


def test_dates_keep_their_microseconds(tmp_path: Path) -> None:
    build_library()
    before = dict(Note.objects.values_list("slug", "published_at"))
    created = dict(Note.objects.values_list("slug", "created_at"))
    export_to(tmp_path / "out")
    wipe_database()
    import_paths([tmp_path / "out"])
    assert dict(Note.objects.values_list("slug", "published_at")) == before
    assert dict(Note.objects.values_list("slug", "created_at")) == created


def test_whole_second_dates_are_written_as_editors_write_them(tmp_path: Path) -> None:
    import_paths([write(tmp_path / "in", "lora.md", LORA)])
    meta = front_matter(export_to(tmp_path / "out") / "lora.md")
    assert meta["date"] == "2026-01-14T00:00:00+08:00"


def test_import_command_leaves_postgresql_statistics_for_the_new_notes(tmp_path: Path) -> None:
    """Planned on an empty table's statistics, the home page's query sorted every note
    instead of walking the newest twenty, until autovacuum came round (never, where it is
    off): the import leaves the planner the table as it now is."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    for i in range(3):
        write(tmp_path, f"note-{i}.md", note_file(f"Note {i}"))
    call_command("import_notes", str(tmp_path), stdout=StringIO(), stderr=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'notes_note'")
        (estimate,) = cursor.fetchone()
    assert estimate == Note.objects.count()


def test_a_file_failing_as_it_is_saved_leaves_nothing_and_the_rest_import_whole(
    tmp_path: Path, client
) -> None:
    """Files are saved in groups sharing a transaction; a file that fails half-way through its
    save (its note row written, then a figure missing) must still leave nothing of itself,
    while the files around it import with their tags, links, search and history."""
    from reversion.models import Version

    write(tmp_path, "a.md", note_file("甲笔记", "见 [[丙笔记]]。", category="ML", tags="[扩散]"))
    figure = "figures:\n  - image: figures/missing.png\n    width: 0\n    height: 0"
    write(tmp_path, "b.md", f"---\ntitle: 乙笔记\ntags: [孤立标签]\n{figure}\n---\nBody.\n")
    write(tmp_path, "c.md", note_file("丙笔记", "量子退火。", category="ML", tags="[扩散]"))
    report = import_paths([tmp_path])
    assert [(path.name, "media folder" in message) for path, message in report.errors] == [
        ("b.md", True)
    ]
    assert sorted(report.created) == sorted(Note.objects.values_list("slug", flat=True))
    assert set(Note.objects.values_list("title", flat=True)) == {"甲笔记", "丙笔记"}
    assert not Tag.objects.filter(name="孤立标签").exists()
    first, third = Note.objects.get(title="甲笔记"), Note.objects.get(title="丙笔记")
    # The link, written before its target was saved, points at it.
    assert f'href="{third.get_absolute_url()}"' in first.body_html
    found = client.get("/search/", {"q": "量子退火"}).content.decode()
    assert "丙笔记" in found and "甲笔记" not in found
    assert [pk for pk, _score in first.related_data] == [third.pk]
    assert [pk for pk, _score in third.related_data] == [first.pk]
    for note, name in ((first, "a.md"), (third, "c.md")):
        (version,) = Version.objects.get_for_object(note)
        assert version.revision.comment == f"Imported from {name}"
