"""A backup is ``export_notes`` plus a copy of MEDIA_ROOT (docs/operations.md, "Backups and
restore"): restored into an empty database, every public page is the same, byte for byte,
and editors find their drafts and scheduled notes again."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image
from reversion.models import Revision
from taggit.models import Tag, TaggedItem

from notes.importexport import import_paths
from notes.models import (
    Category,
    Figure,
    Note,
    OldName,
    Paper,
    Series,
    SiteState,
    TagAlias,
)

MATH_BODY = """\
## 方法 Method

低秩分解 $\\Delta W = BA$，其中 $r \\ll \\min(d, k)$：

$$
h = W_0 x + \\frac{\\alpha}{r} B A x
$$

```python
class LoRA(nn.Module):
    pass
```

| rank | params |
| ---- | ------ |
| 8    | 0.1%   |
"""


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile("upload.png", buffer.getvalue(), content_type="image/png")


def build_site() -> None:
    """A site with every kind of thing a backup must keep."""
    users = get_user_model().objects
    edward = users.create_user("edward", first_name="Edward", last_name="Hu")
    users.create_superuser("admin", "admin@example.com")  # an editor, author of nothing
    llm = Category.objects.create(
        name="大模型 LLM", slug="llm", description="大语言模型：架构、训练、对齐。", order=1
    )
    gen = Category.objects.create(name="Generative", slug="gen", order=2)
    Category.objects.create(name="Empty", slug="empty", description="Nothing yet.", order=3)
    peft = Series.objects.create(title="PEFT 系列", slug="peft", description="从 LoRA 开始。")
    base = timezone.make_aware(datetime(2026, 3, 5, 9, 30, 15, 123456))

    def note(title: str, **fields) -> Note:
        fields.setdefault("status", Note.Status.PUBLISHED)
        tags = fields.pop("tags", [])
        made = Note.objects.create(title=title, **fields)
        made.tags.set(tags)
        return made

    lora = note(
        "LoRA 初稿",
        slug="lora-draft-name",
        category=llm,
        author=edward,
        published_at=base,
        series=peft,
        series_position=1,
        tags=["PEFT", "微调", "C++"],
        summary="冻结原始权重，只训练一对低秩矩阵。",
        body=MATH_BODY,
        extra_front_matter={"aliases": ["/old/lora/"], "reading_list": {"part": 2}},
    )
    lora_paper = lora.papers.create(
        title="LoRA: Low-Rank Adaptation of Large Language Models",
        authors="Edward J. Hu\nYelong Shen",
        venue="ICLR",
        year=2022,
        published=datetime(2021, 6, 17).date(),
        arxiv="2106.09685",
        pdf_url="https://arxiv.org/pdf/2106.09685v2",
        code_url="https://github.com/microsoft/LoRA",
        abstract="We propose Low-Rank Adaptation, or LoRA.\n\n冻结预训练权重。",
        through_defaults={"position": 0},
    )
    lora.papers.create(
        title="Intrinsic dimensionality",
        year=2020,
        doi="10.1000/xyz123",
        key="li2018intrinsic",
        through_defaults={"position": 1},
    )
    figure = Figure.objects.create(
        note=lora, image=png((64, 48), (200, 40, 40)), alt="低秩分解示意", caption="图 1：BA"
    )
    Figure.objects.create(note=lora, image=png((30, 20), (0, 90, 200)), alt="unused figure")
    # Renamed after it was published: its old address redirects, old [[links]] resolve.
    lora.title = "LoRA：大模型的低秩适配"
    lora.slug = "lora"
    lora.short_title = "LoRA"
    lora.body = MATH_BODY + f"\n{figure.markdown}\n"
    lora.save()
    qlora = note(
        "QLoRA: Efficient Finetuning of Quantized LLMs",
        slug="qlora",
        category=llm,
        author=edward,
        published_at=base + timedelta(days=3, seconds=7),
        series=peft,
        series_position=2,
        tags=["PEFT", "量化", "C"],
        language=Note.Language.ENGLISH,
        body="Builds on [[LoRA 初稿]] and [[lora|the LoRA note]]: 4-bit NF4 $q = \\text{NF4}(w)$.",
    )
    qlora.papers.create(title="QLoRA", arxiv="2305.14314", year=2023)
    # The same paper as the LoRA note's: one record, with its page listing both notes.
    qlora.papers.add(lora_paper, through_defaults={"position": 1})
    note(
        "DDPM：去噪扩散概率模型",
        slug="ddpm",
        category=gen,
        published_at=base - timedelta(days=40, microseconds=5),
        tags=["扩散模型"],
        body="前向加噪 $q(x_t \\mid x_{t-1})$，见 [[qlora]]。\n\n[^1]: 脚注。\n\n正文[^1]。",
    )
    adapter = note(
        "Adapter 草稿",
        slug="adapter",
        category=llm,
        status=Note.Status.DRAFT,
        series=peft,
        series_position=3,
        tags=["PEFT", "只在草稿里"],
        body="还没写完 $x$。",
    )
    # A paper only a draft lists: no page for readers, before the restore or after.
    adapter.papers.create(title="Parameter-Efficient Transfer Learning", arxiv="1902.00751")
    note(
        "DoRA（定时发布）",
        slug="dora",
        category=llm,
        published_at=timezone.now() + timedelta(days=30),
        tags=["PEFT"],
        body="定时发布的笔记。",
    )
    note("Old news", slug="old-news", category=gen, published_at=base - timedelta(days=400))
    # A tag whose address an editor changed, and tags with other names for search.
    quantization = Tag.objects.get(name="量化")
    quantization.slug = "quantization"
    quantization.save()
    TagAlias.objects.create(tag=Tag.objects.get(name="PEFT"), name="parameter-efficient")
    TagAlias.objects.create(tag=Tag.objects.get(name="扩散模型"), name="diffusion")


def public_urls() -> dict[str, str]:
    """Every page and feed readers can reach on the site as it is now, in both languages
    (and the addresses a paper only a draft lists would have, which must stay unknown)."""
    pages = []
    published = Note.objects.published()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            pages += [reverse(name) for name in (
                "notes:list", "notes:categories", "notes:tags", "notes:archive",
                "notes:series-list", "notes:feed", "notes:feed-atom", "notes:opensearch",
                "notes:papers",
            )]  # fmt: skip
            for item in published:
                pages.append(item.get_absolute_url())
            for paper in Paper.objects.all():
                pages += [paper.get_absolute_url(), paper.get_bibtex_url()]
            for category in Category.objects.all():
                pages.append(category.get_absolute_url())
                pages += [reverse(f"notes:category-feed{kind}", args=[category.slug])
                          for kind in ("", "-atom")]  # fmt: skip
            for tag in Tag.objects.filter(public_count__notes__gt=0):
                for name in ("notes:tag", "notes:tag-feed", "notes:tag-feed-atom"):
                    pages.append(reverse(name, args=[tag.slug]))
            for series in Series.objects.all():
                for name in ("notes:series-detail", "notes:series-feed", "notes:series-feed-atom"):
                    pages.append(reverse(name, args=[series.slug]))
            for day in published.dates("published_at", "month"):
                pages.append(reverse("notes:year", args=[day.year]))
                pages.append(reverse("notes:month", args=[day.year, day.month]))
            for query in ("lora", "低秩", "parameter-efficient", "diffusion", "2106.09685"):
                pages.append(f"{reverse('notes:search')}?q={query}")
                pages.append(f"{reverse('notes:search-feed-atom')}?q={query}")
            pages.append(f"{reverse('notes:search')}?q=lora&sort=newest&tag=peft")
    pages += ["/robots.txt", "/sitemap.xml", "/notes/lora-draft-name/", "/en/notes/qlora/"]
    pages += [reverse("sitemap-section", args=[section]) for section in (
        "pages", "notes", "categories", "tags", "series", "archive",
    )]  # fmt: skip
    return {url: url for url in pages}


# What must differ after a restore: the sitemap index dates its sections by the site's last
# change (the restore). (A paper's addresses name its arXiv id or key, never a database id.)
VOLATILE = [
    (re.compile(rb"(<sitemap><loc>[^<]*</loc><lastmod>)[^<]*(</lastmod>)"), rb"\1RESTORED\2"),
]
# A feed with no entries is dated the moment it is asked for (Django's syndication).
EMPTY_FEED_DATE = re.compile(rb"<lastBuildDate>[^<]*</lastBuildDate>|<updated>[^<]*</updated>")


def snapshot(client, urls: dict[str, str]) -> dict[str, tuple[int, str]]:
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        content = response.content
        for pattern, replacement in VOLATILE:
            content = pattern.sub(replacement, content)
        empty_rss = b"</rss>" in content and b"<item>" not in content
        if empty_rss or (b"</feed>" in content and b"<entry" not in content):
            content = EMPTY_FEED_DATE.sub(b"<date/>", content)
        pages[name] = (response.status_code, content.decode())
    return pages


def paper_lists() -> dict[str, list[tuple]]:
    """Each note's papers, in its order, with every field but the database id."""
    fields = [f.name for f in Paper._meta.concrete_fields if f.name != "id"]
    return {
        note.slug: [
            tuple(getattr(link.paper, name) for name in fields)
            for link in note.paper_links.select_related("paper")
        ]
        for note in Note.objects.all()
    }


def empty_database() -> None:
    """What a new database holds before the restore: none of the site's rows."""
    Note.objects.all().delete()
    for model in (Paper, Series, Category, Tag, TaggedItem, SiteState, Revision, get_user_model()):
        model.objects.all().delete()
    for model in apps.get_app_config("notes").get_models():
        assert not model.objects.exists(), model


class BackupRestoreTests(TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.workspace = Path(tempfile.mkdtemp(prefix="research-notes-backup-"))
        cls.addClassCleanup(shutil.rmtree, cls.workspace, ignore_errors=True)
        media = override_settings(MEDIA_ROOT=str(cls.workspace / "media"))
        media.enable()
        cls.addClassCleanup(media.disable)
        super().setUpClass()

    @classmethod
    def setUpTestData(cls) -> None:
        build_site()
        cls.urls = public_urls()
        cls.before = snapshot(Client(), cls.urls)
        cls.drafts = {
            note.slug: (note.title, note.body, note.status, note.published_at, note.updated_at)
            for note in Note.objects.exclude(pk__in=Note.objects.published())
        }
        cls.figures = sorted(Figure.objects.values_list("image", "alt", "width", "height"))
        cls.papers = paper_lists()
        # The backup: the export and a copy of the media folder.
        backup = cls.workspace / "backup"
        call_command("export_notes", str(backup / "notes"), stdout=StringIO())
        shutil.copytree(settings.MEDIA_ROOT, backup / "media")
        # A new server: an empty database and an empty media folder, then the restore.
        empty_database()
        shutil.rmtree(settings.MEDIA_ROOT)
        shutil.copytree(backup / "media", settings.MEDIA_ROOT)
        cls.errors = import_paths([backup / "notes"]).errors

    def test_the_site_has_something_of_everything(self) -> None:
        self.assertGreater(len(self.urls), 80)
        statuses = {url: status for url, (status, _content) in self.before.items()}
        self.assertEqual(statuses["/notes/lora-draft-name/"], 301)
        self.assertEqual(statuses["/en/notes/qlora/"], 200)
        self.assertEqual({status for status in statuses.values()}, {200, 301, 404})
        # Only the addresses of the paper only a draft lists are not found.
        self.assertEqual(
            sorted(url for url, status in statuses.items() if status == 404),
            ["/en/papers/1902.00751/", "/en/papers/1902.00751/cite.bib",
             "/papers/1902.00751/", "/papers/1902.00751/cite.bib"],
        )  # fmt: skip
        for url in ("/papers/2106.09685/", "/papers/li2018intrinsic/cite.bib", "/en/papers/"):
            self.assertEqual(statuses[url], 200, url)

    def test_papers_are_back_as_shared_records(self) -> None:
        """One record per paper, listed by the same notes in the same order, every field
        kept (the chosen key too), and the paper's page lists both notes on it."""
        self.assertEqual(self.errors, [])
        self.assertEqual(paper_lists(), self.papers)
        lora = Paper.objects.get(arxiv="2106.09685")
        self.assertEqual(sorted(lora.notes.values_list("slug", flat=True)), ["lora", "qlora"])
        page = self.client.get(lora.get_absolute_url()).content.decode()
        for slug in ("lora", "qlora"):
            self.assertIn(f'href="/notes/{slug}/"', page)

    def test_the_restore_reports_no_error(self) -> None:
        self.assertEqual(self.errors, [])

    def test_every_public_page_is_the_same(self) -> None:
        urls = public_urls()
        self.assertEqual(sorted(urls), sorted(self.urls))
        after = snapshot(self.client, urls)
        for name in sorted(urls):
            with self.subTest(page=name):
                self.assertEqual(after[name], self.before[name])

    def test_drafts_and_scheduled_notes_are_back_for_editors(self) -> None:
        restored = {
            note.slug: (note.title, note.body, note.status, note.published_at, note.updated_at)
            for note in Note.objects.exclude(pk__in=Note.objects.published())
        }
        self.assertEqual(restored, self.drafts)
        self.assertEqual(sorted(restored), ["adapter", "dora"])

    def test_the_admin_lists_the_drafts(self) -> None:
        editor = get_user_model().objects.create_superuser("restorer", "r@example.com")
        self.client.force_login(editor)
        changelist = self.client.get(reverse("admin:notes_note_changelist"))
        for title in ("Adapter 草稿", "DoRA（定时发布）"):
            self.assertContains(changelist, title)
        draft = Note.objects.get(slug="adapter")
        preview = self.client.get(reverse("notes:preview", args=[draft.pk]))
        self.assertContains(preview, "还没写完")

    def test_figures_and_their_files_are_back(self) -> None:
        restored = sorted(Figure.objects.values_list("image", "alt", "width", "height"))
        self.assertEqual(restored, self.figures)
        for figure in Figure.objects.all():
            self.assertTrue(Path(figure.image.path).is_file(), figure.image.name)

    def test_old_names_and_tag_slugs_are_back(self) -> None:
        self.assertEqual(
            sorted(OldName.objects.values_list("kind", "key", "note__slug")),
            [("slug", "lora-draft-name", "lora"), ("title", "lora 初稿", "lora")],
        )
        self.assertEqual(Tag.objects.get(name="量化").slug, "quantization")
        self.assertEqual(Tag.objects.get(name="C++").slug, "c")
        self.assertEqual(Tag.objects.get(name="C").slug, "c_1")
