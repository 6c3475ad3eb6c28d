"""Search: the same notes found on SQLite and PostgreSQL (this module runs on both), ranked,
highlighted, never showing what readers may not see, in step with every change."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

from django.test import SimpleTestCase, TestCase
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from notes.models import Note, SearchDocument, TagAlias
from notes.search import parse, search
from notes.search.query import MAX_QUERY_LENGTH
from notes.search.snippets import snippet
from notes.search.tokenizer import TOKENIZER_VERSION, document_tokens
from tests.factories import make_category, make_note, settle

SEARCH = reverse("notes:search")
DAY = timedelta(days=1)


def found(query: str, **filters) -> list[str]:
    """Slugs of the published notes the query finds, best first."""
    candidates = Note.objects.published().filter(**filters)
    page = search(parse(query), candidates, order="relevance", offset=0, limit=100)
    by_id = Note.objects.in_bulk(page.ids)
    return [by_id[pk].slug for pk in page.ids]


# --- Tokenizer and query parsing ---------------------------------------------------------


def test_cjk_runs_become_pairs_then_single_characters() -> None:
    assert document_tokens("线性注意力") == "线性 性注 注意 意力 线 性 注 意 力"


def test_words_are_stemmed_lowercased_and_full_width_folded() -> None:
    assert document_tokens("Ｌｏｒａ Attentions learned") == "lora attent learn"


def test_a_long_text_keeps_every_word_findable() -> None:
    words = " ".join(f"w{i}" for i in range(20_000))
    assert "w19999" in document_tokens(words).split()


def test_operators_and_control_characters_are_only_text() -> None:
    query = parse('a AND (b OR c*) NEAR: " \x00 ! & | -')
    tokens = [token for term in query.include for token in term.tokens]
    assert tokens == ["a", "and", "b", "or", "c", "near"]


def test_query_is_cut_to_its_limit() -> None:
    query = parse("模型" * 500)
    assert len(query.text) == MAX_QUERY_LENGTH and query.truncated


def test_last_word_is_a_prefix_unless_followed_by_a_space() -> None:
    assert parse("transf").include[0].prefix
    assert not parse("transf ").include[0].prefix


def test_dotted_ids_are_phrases() -> None:
    assert parse("2106.09685").include[0].tokens == ("2106", "09685")


# --- The golden set ----------------------------------------------------------------------


class GoldenQueryTests(TestCase):
    """Each query and the exact notes it must find, identical on both databases."""

    @classmethod
    def setUpTestData(cls) -> None:
        ml = make_category("机器学习 ML")
        finance = make_category("金融 Finance")
        now = timezone.now()
        notes = {
            "bank": ("中国农业发展银行的贷款", "政策性银行支持农村。", [], finance),
            "agri": ("农业机械化", "拖拉机提高了效率。", [], finance),
            "linear": ("线性注意力", "把 softmax 换成核函数，复杂度降为线性。", ["线性注意力"], ml),
            "entropy": ("最大熵强化学习", "策略的熵作为奖励的一部分。", ["强化学习"], ml),
            "lora": (
                "LoRA：大模型的低秩适配",
                "Low-Rank Adaptation freezes the weights; $W = W_0 + BA$ is learned.",
                ["大模型", "微调"],
                ml,
            ),
            "transformer": (
                "Attention Is All You Need",
                "The Transformer uses attention only. Attentions are computed in parallel.",
                ["Transformer"],
                ml,
            ),
            "rnn": (
                "Recurrent networks",
                "An RNN learns sequences; learning is slow without attention.",
                [],
                ml,
            ),
            "math": ("公式笔记", "损失是 $\\operatorname{softmax}(z)$ 的交叉熵。", [], ml),
        }
        for index, (slug, (title, body, tags, category)) in enumerate(notes.items()):
            make_note(
                title,
                slug=slug,
                body=body,
                tags=tags,
                category=category,
                published_at=now - DAY * (index + 1),
            )
        lora = Note.objects.get(slug="lora")
        lora.papers.create(
            title="LoRA: Low-Rank Adaptation of Large Language Models",
            authors="Edward J. Hu\nYelong Shen",
            venue="ICLR",
            year=2022,
            arxiv="2106.09685",
        )
        TagAlias.objects.create(tag=Tag.objects.get(name="线性注意力"), name="linear attention")
        TagAlias.objects.create(tag=Tag.objects.get(name="大模型"), name="LLM")

    def assert_finds(self, query: str, expected: set[str]) -> None:
        self.assertEqual(set(found(query)), expected, query)

    def test_one_chinese_character(self) -> None:
        self.assert_finds("熵", {"entropy", "math"})

    def test_two_characters_inside_a_longer_word(self) -> None:
        """Dictionary segmenters cut 中国农业发展银行 so that 农业 is missed; pairs are not cut."""
        self.assert_finds("农业", {"bank", "agri"})

    def test_three_or_more_characters_are_a_phrase(self) -> None:
        self.assert_finds("线性注意力", {"linear"})
        self.assert_finds("注意线性", set())

    def test_mixed_chinese_and_english(self) -> None:
        self.assert_finds("LoRA 低秩", {"lora"})

    def test_alias_finds_the_tagged_notes(self) -> None:
        self.assert_finds("linear attention", {"linear"})
        self.assert_finds("LLM", {"lora"})

    def test_tag_finds_the_notes_whose_alias_it_is(self) -> None:
        self.assert_finds("大模型", {"lora"})

    def test_english_word_forms(self) -> None:
        # "linear" is found through its tag's alias, "linear attention".
        self.assert_finds("attentions", {"transformer", "rnn", "linear"})
        self.assert_finds("learned", {"lora", "rnn"})

    def test_prefix_of_the_last_word(self) -> None:
        self.assert_finds("transf", {"transformer"})

    def test_quoted_phrase(self) -> None:
        self.assert_finds('"uses attention"', {"transformer"})
        self.assert_finds('"attention uses"', set())

    def test_exclusion(self) -> None:
        self.assert_finds("attention -RNN", {"transformer", "linear"})

    def test_arxiv_id_and_author(self) -> None:
        self.assert_finds("2106.09685", {"lora"})
        self.assert_finds("Yelong Shen", {"lora"})

    def test_full_width_input(self) -> None:
        self.assert_finds("ＬｏＲＡ", {"lora"})

    def test_latex_source_is_searchable_not_mathml(self) -> None:
        self.assert_finds("softmax", {"linear", "math"})
        self.assert_finds("mrow", set())

    def test_category_name(self) -> None:
        self.assert_finds("金融", {"bank", "agri"})

    def test_nothing_to_search_finds_nothing(self) -> None:
        self.assert_finds("", set())
        self.assert_finds("-attention", set())
        self.assert_finds("!!! ***", set())


# --- Ranking ----------------------------------------------------------------------------


class RankingTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category("ML")
        now = timezone.now()
        body = "扩散模型 " * 30
        make_note("Older body match", slug="body-old", body=body, category=category,
                  published_at=now - 3 * DAY)  # fmt: skip
        make_note("扩散模型入门", slug="title", body="Intro.", category=category,
                  published_at=now - 5 * DAY)  # fmt: skip
        make_note("Newer body match", slug="body-new", body=body, category=category,
                  published_at=now - 1 * DAY)  # fmt: skip

    def test_title_match_ranks_above_body_matches_and_ties_are_newest_first(self) -> None:
        self.assertEqual(found("扩散模型"), ["title", "body-new", "body-old"])

    def test_newest_order(self) -> None:
        page = search(parse("扩散模型"), Note.objects.published(), order="newest", offset=0,
                      limit=10)  # fmt: skip
        slugs = [Note.objects.get(pk=pk).slug for pk in page.ids]
        self.assertEqual(slugs, ["body-new", "body-old", "title"])


class TierTests(TestCase):
    """Title above tags and papers above summary above body; newest first in each tier, and
    the same order page after page."""

    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category("ML")
        now = timezone.now()
        # Two notes per tier, the older made first; every one mentions 注意力 in its body too.
        fields = {
            "title": lambda n: {"title": f"注意力 {n}"},
            "tag": lambda n: {"tags": ["注意力"]},
            "summary": lambda n: {"summary": "讲注意力。"},
            "body": lambda n: {},
        }
        for rank, (tier, make) in enumerate(fields.items()):
            for age in (2, 1):
                name = f"{tier}-{age}"
                options = {"title": name, **make(name)}
                make_note(slug=name, body="正文讲注意力。", category=category,
                          published_at=now - (10 * rank + age) * DAY, **options)  # fmt: skip

    def test_tiers_in_order_newest_first_within_each(self) -> None:
        self.assertEqual(
            found("注意力"),
            ["title-1", "title-2", "tag-1", "tag-2", "summary-1", "summary-2", "body-1", "body-2"],
        )

    def test_pages_continue_across_tiers(self) -> None:
        pages = []
        for offset in range(0, 8, 3):
            page = search(parse("注意力"), Note.objects.published(), order="relevance",
                          offset=offset, limit=3)  # fmt: skip
            pages += [Note.objects.get(pk=pk).slug for pk in page.ids]
        self.assertEqual(pages, found("注意力"))

    def test_pages_are_the_same_ranking_in_one_or_two_queries(self) -> None:
        """Within the window, a page is sorted from the matches as they are counted: one
        statement. Past it, tiers are counted (in that statement) and read only as far as a
        page reaches, the body walked by date when the tiers above hold few: one more
        statement, for a page spanning several tiers too. The same order either way."""
        for text in ("注意力", "正文"):
            for order in ("relevance", "newest"):
                full = search(parse(text), Note.objects.published(), order=order, offset=0,
                              limit=100).ids  # fmt: skip
                for window in (3, 5, 7, 8):
                    pages = []
                    with (
                        self.subTest(text=text, order=order, window=window),
                        mock.patch("notes.search.backends.RESULT_WINDOW", window),
                    ):
                        for offset in range(0, window, 2):
                            with self.assertNumQueries(1 if window >= len(full) else 2):
                                page = search(parse(text), Note.objects.published(), order=order,
                                              offset=offset, limit=2)  # fmt: skip
                            self.assertEqual(page.total, min(window, len(full)))
                            self.assertEqual(page.more, window < len(full))
                            pages += page.ids
                        self.assertEqual(pages, full[:window])

    def test_a_page_of_few_tier_matches_then_a_walk_of_the_body(self) -> None:
        """Few title, tag and summary matches, then more body matches than the window can
        count: both ways of reading in one statement (on PostgreSQL, one planner setting for
        both), and still the one ranking."""
        now = timezone.now()
        for index in range(10):
            make_note(f"more-{index}", body="正文讲注意力。", published_at=now - index * DAY)
        full = search(parse("注意力"), Note.objects.published(), order="relevance", offset=0,
                      limit=100).ids  # fmt: skip
        self.assertEqual(len(full), 18)
        pages = []
        with mock.patch("notes.search.backends.RESULT_WINDOW", 13):
            for offset in range(0, 13, 4):
                with self.assertNumQueries(2):
                    page = search(parse("注意力"), Note.objects.published(), order="relevance",
                                  offset=offset, limit=4)  # fmt: skip
                pages += page.ids
        self.assertEqual(pages, full[:13])

    def test_every_word_must_match_within_the_tier(self) -> None:
        """A word in the title and another only in the body rank as a body match."""
        self.assertEqual(found("title 正文")[:2], ["title-1", "title-2"])
        self.assertEqual(found("tag 注意力")[:2], ["tag-1", "tag-2"])

    def test_more_matches_than_the_window_are_counted_to_its_end(self) -> None:
        with mock.patch("notes.search.backends.RESULT_WINDOW", 5):
            page = search(parse("注意力"), Note.objects.published(), order="relevance",
                          offset=0, limit=3)  # fmt: skip
            self.assertEqual((page.total, page.more), (5, True))
            last = search(parse("注意力"), Note.objects.published(), order="relevance",
                          offset=3, limit=3)  # fmt: skip
            self.assertEqual(len(last.ids), 2)
            response = self.client.get(SEARCH, {"q": "注意力"})
        self.assertContains(response, "找到超过 5 篇笔记")
        self.assertContains(response, "只列出最相关的 5 篇")


# --- Visibility and staying in step -----------------------------------------------------


class VisibilityAndFreshnessTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("ML")
        cls.public = make_note("公开的扩散笔记", slug="public", category=cls.category)
        cls.draft = make_note("草稿扩散笔记", slug="draft", category=cls.category,
                              status=Note.Status.DRAFT)  # fmt: skip
        cls.scheduled = make_note("定时扩散笔记", slug="scheduled", category=cls.category,
                                  published_at=timezone.now() + DAY)  # fmt: skip

    def test_drafts_and_scheduled_notes_are_never_found(self) -> None:
        self.assertEqual(found("扩散"), ["public"])
        response = self.client.get(SEARCH, {"q": "扩散"})
        self.assertContains(response, "找到 1 篇笔记")
        self.assertNotContains(response, "草稿")
        self.assertNotContains(response, "定时")
        feed = self.client.get(reverse("notes:search-feed"), {"q": "扩散"}).content.decode()
        self.assertIn("公开的扩散笔记", feed)
        self.assertNotIn("草稿", feed)
        self.assertNotIn("定时", feed)

    def test_scheduled_note_is_found_when_its_time_comes_without_reindexing(self) -> None:
        Note.objects.filter(pk=self.scheduled.pk).update(published_at=timezone.now() - DAY)
        self.assertEqual(set(found("扩散")), {"public", "scheduled"})

    def test_deleted_and_unpublished_notes_disappear_at_once(self) -> None:
        self.public.delete()
        self.assertEqual(found("扩散"), [])
        self.assertFalse(SearchDocument.objects.filter(note_id=self.public.pk).exists())

    def test_unpublished_note_disappears(self) -> None:
        self.public.status = Note.Status.DRAFT
        self.public.save()
        self.assertEqual(found("扩散"), [])

    def test_edited_title_is_found_at_once(self) -> None:
        self.public.title = "公开的流匹配笔记"
        self.public.save()
        self.assertEqual(found("流匹配"), ["public"])

    def test_tag_added_renamed_and_aliased(self) -> None:
        self.public.tags.add("生成模型")
        self.assertEqual(found("生成模型"), ["public"])
        tag = Tag.objects.get(name="生成模型")
        tag.name = "生成式模型"
        tag.save()
        self.assertEqual(found("生成式"), ["public"])
        TagAlias.objects.create(tag=tag, name="generative")
        self.assertEqual(found("generative"), ["public"])
        self.public.tags.remove(tag)
        self.assertEqual(found("generative"), [])

    def test_category_rename_and_paper_edit(self) -> None:
        self.category.name = "三维视觉"
        self.category.save()
        self.assertEqual(found("三维"), ["public"])
        self.public.papers.create(title="Flow Straight and Fast", arxiv="2209.03003")
        self.assertEqual(found("2209.03003"), ["public"])

    def test_index_version_is_recorded(self) -> None:
        self.assertEqual(
            set(SearchDocument.objects.values_list("version", flat=True)), {TOKENIZER_VERSION}
        )


# --- The page, snippets, hostile input, query counts -------------------------------------


class SnippetTests(SimpleTestCase):
    """The passage under a result: around the first match, every match in it marked."""

    def test_chinese_and_english_word_forms_are_marked(self) -> None:
        text = snippet(
            "我们研究注意力。Attentions are learned; attention wins.", parse("注意力 attention")
        )
        self.assertEqual(
            str(text),
            "我们研究<mark>注意力</mark>。<mark>Attentions</mark> are learned; "
            "<mark>attention</mark> wins.",
        )

    def test_window_starts_shortly_before_the_first_match(self) -> None:
        text = "开头。" * 100 + "这里讲扩散模型的采样。" + "结尾。" * 100
        shown = str(snippet(text, parse("扩散模型")))
        self.assertTrue(shown.startswith("…") and shown.endswith("…"))
        self.assertIn("这里讲<mark>扩散模型</mark>的采样", shown)
        self.assertLess(len(shown), 200)

    def test_words_at_the_window_edges_are_not_cut_or_taken_for_prefixes(self) -> None:
        text = "x " * 300 + "transformers everywhere " + "pad " * 80 + "a transformation"
        shown = str(snippet(text, parse("transf")))
        self.assertIn("<mark>transformers</mark>", shown)
        # The window is whole words: nothing half-cut at either end.
        self.assertRegex(shown, r"^…\w+ ")
        self.assertRegex(shown, r" \w+…$")

    def test_a_term_crossing_the_window_end_is_marked_whole(self) -> None:
        text = "注意力" + "填" * 195 + "注意力机制"
        shown = str(snippet(text, parse("注意力")))
        self.assertTrue(shown.endswith("<mark>注意力</mark>机制") or shown.count("<mark>") == 1)
        self.assertNotIn("<mark>注</mark>", shown)

    def test_full_width_text_is_matched_and_shown_as_written(self) -> None:
        shown = str(snippet("我们用 ＬｏＲＡ 微调。", parse("lora")))
        self.assertEqual(shown, "我们用 <mark>ＬｏＲＡ</mark> 微调。")

    def test_no_match_in_the_text_falls_back_to_the_excerpt(self) -> None:
        shown = str(snippet("正文没有这个词。", parse("扩散"), fallback="摘要讲扩散。"))
        self.assertEqual(shown, "摘要讲<mark>扩散</mark>。")


class SearchPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.ml = make_category("ML")
        cls.other = make_category("Other")
        for index in range(25):
            make_note(
                f"注意力笔记 {index}",
                slug=f"attention-{index}",
                body=f"第 {index} 篇讲 <b>注意力</b> 与 x<y & z 的关系。" + "填充。" * 40,
                category=cls.ml if index % 2 else cls.other,
                tags=["注意力"] if index % 5 == 0 else [],
            )

    def test_results_page_counts_paginates_and_highlights(self) -> None:
        response = self.client.get(SEARCH, {"q": "注意力"})
        html = response.content.decode()
        self.assertContains(response, "找到 25 篇笔记")
        self.assertEqual(html.count('class="note-item search-result"'), 20)
        self.assertIn("<mark>注意力</mark>", html)
        # The page links keep the query.
        self.assertIn("?q=%E6%B3%A8%E6%84%8F%E5%8A%9B&amp;page=2", html)
        page2 = self.client.get(SEARCH, {"q": "注意力", "page": 2}).content.decode()
        self.assertEqual(page2.count('class="note-item search-result"'), 5)

    def test_note_html_and_the_query_are_escaped_in_snippets(self) -> None:
        html = self.client.get(SEARCH, {"q": "注意力 <script>"}).content.decode()
        self.assertNotIn("<script>", html.split("<main", 1)[1])
        text = snippet("a <b>注意力</b> & c", parse("注意力"))
        self.assertEqual(str(text), "a &lt;b&gt;<mark>注意力</mark>&lt;/b&gt; &amp; c")

    def test_filters_keep_the_query(self) -> None:
        response = self.client.get(SEARCH, {"q": "注意力", "category": self.ml.slug})
        self.assertContains(response, "找到 12 篇笔记")
        response = self.client.get(SEARCH, {"q": "注意力", "tag": "注意力"})
        self.assertContains(response, "找到 5 篇笔记")

    def test_empty_query_shows_a_hint(self) -> None:
        response = self.client.get(SEARCH)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "输入中文或英文词语")

    def test_hostile_queries_never_fail(self) -> None:
        for query in [
            "' OR 1=1; DROP TABLE notes_note; --",
            '" * : & | ! ( ) NEAR AND OR',
            "\x00\x1f\u202e",
            "模型" * 5000,
            "a" * 10_000,
            '"unclosed phrase',
            "-",
        ]:
            with self.subTest(query=query[:30]):
                self.assertEqual(self.client.get(SEARCH, {"q": query}).status_code, 200)
                feed = self.client.get(reverse("notes:search-feed"), {"q": query})
                self.assertIn(feed.status_code, {200, 404})

    def test_invalid_utf8_and_bad_pages(self) -> None:
        self.assertEqual(self.client.get(SEARCH + "?q=%ff%fe").status_code, 200)
        self.assertEqual(self.client.get(SEARCH, {"q": "注意力", "page": "x"}).status_code, 404)
        self.assertEqual(self.client.get(SEARCH, {"q": "注意力", "page": 9}).status_code, 404)
        self.assertEqual(
            self.client.get(SEARCH, {"q": "注意力", "category": "nope"}).status_code, 404
        )

    def test_long_query_is_cut_with_a_message(self) -> None:
        response = self.client.get(SEARCH, {"q": "注意力 " * 100})
        self.assertContains(response, "查询过长")

    # The site state; the search, one statement (the matches up to the window, counted, and
    # the page sorted from them); the notes' stored cards and texts. The same on both
    # databases, with no transaction or planner settings of their own around the search.
    SEARCH_QUERIES = 3

    def test_search_page_runs_a_fixed_number_of_queries(self) -> None:
        settle()
        with self.assertNumQueries(self.SEARCH_QUERIES):
            self.client.get(SEARCH, {"q": "注意力"})
        for index in range(10):
            make_note(f"更多注意力 {index}", category=self.ml, tags=["注意力", f"t{index}"])
        settle()
        with self.assertNumQueries(self.SEARCH_QUERIES):
            self.client.get(SEARCH, {"q": "注意力"})
        # More matches than the window: the tiers are counted in the same statement, and the
        # page is one more.
        with (
            mock.patch("notes.search.backends.RESULT_WINDOW", 5),
            self.assertNumQueries(self.SEARCH_QUERIES + 1),
        ):
            self.assertContains(self.client.get(SEARCH, {"q": "注意力"}), "找到超过 5 篇笔记")

    def test_search_feed_runs_a_fixed_number_of_queries(self) -> None:
        """The site state, the search, the notes."""
        feed = reverse("notes:search-feed")
        settle()
        with self.assertNumQueries(3):
            self.client.get(feed, {"q": "注意力"})
        for index in range(10):
            make_note(f"更多注意力 {index}", category=self.ml, tags=[f"t{index}"])
        settle()
        with self.assertNumQueries(3):
            self.client.get(feed, {"q": "注意力"})
        with mock.patch("notes.search.backends.RESULT_WINDOW", 5), self.assertNumQueries(4):
            self.client.get(feed, {"q": "注意力"})

    def test_search_feed_is_linked_from_the_results_page(self) -> None:
        html = self.client.get(SEARCH, {"q": "注意力"}).content.decode()
        self.assertRegex(html, r'<link rel="alternate" type="application/rss\+xml"[^>]*'
                               r'href="/search/feed/\?q=%E6%B3%A8')  # fmt: skip

    def test_every_page_has_the_search_box_and_opensearch(self) -> None:
        html = self.client.get("/").content.decode()
        self.assertTrue(
            re.search(r'<form class="site-search" role="search" action="/search/"', html)
        )
        self.assertIn('rel="search" type="application/opensearchdescription+xml"', html)
        opensearch = self.client.get(reverse("notes:opensearch"))
        self.assertIn("/search/?q={searchTerms}", opensearch.content.decode())


class RebuildAndCheckTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        note = make_note("重建索引的笔记", slug="rebuild", tags=["索引"])
        TagAlias.objects.create(tag=Tag.objects.get(name="索引"), name="index")
        note.papers.create(title="A paper", arxiv="2401.00001")

    def test_rebuild_writes_what_saving_writes(self) -> None:
        from io import StringIO

        from django.core.management import call_command

        saved = SearchDocument.objects.values().get()
        SearchDocument.objects.all().delete()
        call_command("rebuild_search_index", stdout=StringIO())
        self.assertEqual(SearchDocument.objects.values().get(), saved)
        self.assertEqual(found("index"), ["rebuild"])

    def test_rebuild_reusing_stored_text_equals_a_full_reparse(self) -> None:
        from io import StringIO

        from django.core.management import call_command

        SearchDocument.objects.update(version=0, title="")
        call_command("rebuild_search_index", stdout=StringIO())
        reused = SearchDocument.objects.values().get()
        call_command("rebuild_search_index", "--reparse", stdout=StringIO())
        self.assertEqual(SearchDocument.objects.values().get(), reused)
        self.assertEqual(reused["version"], TOKENIZER_VERSION)

    def test_check_reports_an_outdated_index(self) -> None:
        from notes.checks import search_index_is_current

        self.assertEqual(search_index_is_current(None), [])
        SearchDocument.objects.update(version=TOKENIZER_VERSION - 1)
        self.assertEqual([w.id for w in search_index_is_current(None)], ["notes.W001"])
