"""Citing a note: the cite box, the BibTeX file and the Highwire meta tags that Zotero's
Embedded Metadata translator and Google Scholar read."""

from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser

import bibtexparser
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from notes.citing import Citable, bibtex, bibtex_key, highwire_meta, text_citation
from notes.models import Note
from tests.factories import make_note

pytestmark = pytest.mark.django_db


class _Head(HTMLParser):
    """What Zotero's Embedded Metadata translator reads: <meta name=… content=…> in order."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and "name" in values:
            self.meta.append((values["name"], values.get("content", "")))
        if tag == "link":
            self.links.append(values)


def embedded_metadata(html: str) -> dict:
    """An item as Zotero's translator builds it from Highwire tags: the first title, date,
    language and address, and every author in page order."""
    head = _Head()
    head.feed(html)
    tags = [(name, value) for name, value in head.meta if name.startswith("citation_")]
    first = {}
    for name, value in tags:
        first.setdefault(name, value)
    return {
        "names": [name for name, _ in tags],
        "title": first.get("citation_title"),
        "creators": [value for name, value in tags if name == "citation_author"],
        "date": first.get("citation_publication_date"),
        "language": first.get("citation_language"),
        "url": first.get("citation_public_url"),
        "links": head.links,
    }


def parsed(entry: str):
    library = bibtexparser.parse_string(entry)
    assert not library.failed_blocks, entry
    (parsed_entry,) = library.entries
    return parsed_entry


def author(name: str = "zhangsan", first: str = "张三", last: str = ""):
    return get_user_model().objects.create(username=name, first_name=first, last_name=last)


def test_the_note_page_carries_highwire_tags_in_the_order_zotero_reads_them() -> None:
    published = timezone.now() - timedelta(days=3)
    note = make_note("LoRA：大模型的低秩适配", slug="lora", published_at=published, author=author())
    html = Client().get(note.get_absolute_url()).content.decode()
    item = embedded_metadata(html)
    assert item["names"] == [
        "citation_title",
        "citation_author",
        "citation_publication_date",
        "citation_language",
        "citation_public_url",
    ]
    assert item["title"] == "LoRA：大模型的低秩适配"
    assert item["creators"] == [note.author_name]
    assert item["date"] == f"{timezone.localdate(published):%Y/%m/%d}"
    assert item["language"] == "zh-Hans"
    assert item["url"] == "http://testserver/notes/lora/" or item["url"].endswith("/notes/lora/")
    bib = [link for link in item["links"] if link.get("type") == "application/x-bibtex"]
    assert [link["rel"] for link in bib] == ["alternate"]
    response = Client().get(bib[0]["href"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    entry = parsed(response.content.decode())
    assert (entry.entry_type, entry.key) == ("online", "lora" + str(published.year))
    assert entry["title"] == "{LoRA：大模型的低秩适配}"
    assert entry["url"] == item["url"]


def test_the_cite_box_shows_the_same_bibtex_and_a_gbt_7714_line_for_a_chinese_note() -> None:
    note = make_note("扩散模型笔记", slug="diffusion", author=author())
    html = Client().get(note.get_absolute_url()).content.decode()
    assert "<summary>引用本文</summary>" in html
    box = html.split('<details class="cite-box">', 1)[1].split("</details>", 1)[0]
    assert "[EB/OL]" in box and "张三" in box
    assert "@online{diffusion" in box
    assert 'href="/notes/diffusion/cite.bib" download' in box


def test_an_english_note_is_cited_in_english_whatever_the_interface() -> None:
    when = timezone.make_aware(timezone.datetime(2026, 3, 9, 12))
    note = make_note("Flash Attention", slug="flash", language="en", published_at=when)
    html = Client().get("/en" + note.get_absolute_url()).content.decode()
    box = html.split('<details class="cite-box">', 1)[1].split("</details>", 1)[0]
    assert "<summary>Cite this note</summary>" in html
    assert "(2026, March 9). Flash Attention." in box
    # No author: the site is the author, as in the page's JSON-LD.
    assert embedded_metadata(html)["creators"] == ["Research Notes"]


def test_drafts_and_scheduled_notes_have_no_citation_file() -> None:
    draft = make_note("草稿", slug="draft", status=Note.Status.DRAFT)
    later = make_note("定时", slug="later", published_at=timezone.now() + timedelta(days=1))
    for note in (draft, later):
        assert Client().get(f"/notes/{note.slug}/cite.bib").status_code == 404


@pytest.mark.parametrize(
    "title",
    [
        "Braces } { and a backslash \\ in 100% of $x_1$ & #tags",
        "}} @online{evil, title={x}}",
        '"><script>alert(1)</script>',
    ],
)
def test_hostile_titles_stay_one_bibtex_field_and_escaped_html(title: str) -> None:
    note = make_note(title, slug="hostile")
    entry = parsed(Client().get("/notes/hostile/cite.bib").content.decode())
    assert entry.entry_type == "online" and entry.key.startswith("hostile")
    assert set(entry.fields_dict) <= {
        "author",
        "title",
        "organization",
        "date",
        "note",
        "url",
        "langid",
    }
    assert "title" in entry.fields_dict
    html = Client().get(note.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    assert embedded_metadata(html)["title"] == title


def item(**changes) -> Citable:
    values = dict(
        title="LoRA",
        authors=("张三",),
        site="研究笔记",
        published=date(2026, 1, 14),
        updated=None,
        url="https://notes.example.org/notes/lora/",
        language="zh",
        slug="lora",
        pk=7,
    )
    return Citable(**{**values, **changes})


def test_a_slug_without_ascii_gives_a_key_from_the_note_number() -> None:
    assert bibtex_key(item(slug="低秩适配")) == "note7-2026"
    assert bibtex_key(item(slug="LoRA-v2")) == "LoRAv22026"


def test_a_later_update_is_said_in_both_citations() -> None:
    cited = item(updated=date(2026, 2, 1))
    assert parsed(bibtex(cited))["note"] == "Updated 2026-02-01"
    assert text_citation(cited) == (
        "张三. LoRA[EB/OL]. 研究笔记, 2026-01-14[2026-02-01]. https://notes.example.org/notes/lora/."
    )
    assert "note" not in parsed(bibtex(item(updated=date(2026, 1, 14)))).fields_dict


def test_several_authors_are_each_a_meta_tag_and_one_bibtex_name_each() -> None:
    cited = item(authors=("Edward Hu", "Yelong Shen"))
    assert [value for name, value in highwire_meta(cited) if name == "citation_author"] == [
        "Edward Hu",
        "Yelong Shen",
    ]
    assert parsed(bibtex(cited))["author"] == "{Edward Hu} and {Yelong Shen}"


def test_only_a_logged_update_dates_the_citation_updated() -> None:
    """A typo fix is not a new version of the note: the citation stays as it was."""
    from notes.models import NoteUpdate

    note = make_note("低秩适配", slug="lowrank", published_at=timezone.now() - timedelta(days=9))
    note.body += "\n\n（改了一个错别字）"
    note.save()
    assert (
        "note" not in parsed(Client().get("/notes/lowrank/cite.bib").content.decode()).fields_dict
    )
    NoteUpdate.objects.create(note=note, summary="补充了实验", made_at=timezone.now())
    entry = parsed(Client().get("/notes/lowrank/cite.bib").content.decode())
    assert entry["note"] == f"Updated {timezone.localdate().isoformat()}"
    box = Client().get("/notes/lowrank/").content.decode().split('class="cite-box"', 1)[1]
    assert f"[{timezone.localdate().isoformat()}]" in box.split("</p>", 1)[0]
