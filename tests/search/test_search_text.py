"""Search's text side, no database: tokenizing, query parsing, highlighted snippets."""

from __future__ import annotations

from django.test import SimpleTestCase

from notes.search import parse
from notes.search.query import MAX_QUERY_LENGTH
from notes.search.snippets import snippet
from notes.search.tokenizer import document_tokens

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
