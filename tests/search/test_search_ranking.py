"""Search ranking: the same notes found on SQLite and PostgreSQL (this module runs on
both), in tiers, best first."""

from __future__ import annotations

from unittest import mock

from django.test import TestCase
from django.utils import timezone
from taggit.models import Tag

from notes.models import Note, TagAlias
from notes.search import parse, search
from tests.factories import make_category, make_note
from tests.search.searching import DAY, SEARCH, found

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
