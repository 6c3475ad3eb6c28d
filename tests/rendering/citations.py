"""Hand-written CSL items and helpers shared by the citation tests (test_citations_*.py)."""

from __future__ import annotations

from collections.abc import Mapping

from selectolax.lexbor import LexborHTMLParser, LexborNode

from notes.rendering import CitedWork, RenderContext, RenderResult, render_markdown, sanitize_html

# --- Works ------------------------------------------------------------------------------

LORA = CitedWork(
    key="hu2022lora",
    url="/papers/2106.09685/",
    csl={
        "id": "hu2022lora",
        "type": "article",
        "title": "LoRA: Low-Rank Adaptation of Large Language Models",
        "author": [
            {"family": "Hu", "given": "Edward J."},
            {"family": "Shen", "given": "Yelong"},
            {"family": "Wallis", "given": "Phillip"},
            {"family": "Allen-Zhu", "given": "Zeyuan"},
        ],
        "issued": {"date-parts": [[2021]]},
        "number": "arXiv:2106.09685",
        "publisher": "arXiv",
        "URL": "https://arxiv.org/abs/2106.09685",
    },
)
DQN = CitedWork(
    key="mnih2015human",
    url="/papers/10.1038/nature14236/",
    csl={
        "id": "mnih2015human",
        "type": "article-journal",
        "title": "Human-level control through deep reinforcement learning",
        "author": [
            {"family": "Mnih", "given": "Volodymyr"},
            {"family": "Kavukcuoglu", "given": "Koray"},
            {"family": "Silver", "given": "David"},
        ],
        "issued": {"date-parts": [[2015, 2, 26]]},
        "container-title": "Nature",
        "volume": "518",
        "issue": "7540",
        "page": "529-533",
        "DOI": "10.1038/nature14236",
    },
)
ATTENTION = CitedWork(
    key="vaswani2017attention",
    url="/papers/1706.03762/",
    csl={
        "type": "paper-conference",
        "title": "Attention Is All You Need",
        "author": [{"family": "Vaswani", "given": "Ashish"}],
        "issued": {"date-parts": [[2017]]},
        "container-title": "Advances in Neural Information Processing Systems",
    },
)
CHINESE_PAPER = CitedWork(
    key="zhang2020",
    url="/papers/zhang2020/",
    csl={
        "type": "article-journal",
        "title": "基于深度学习的图像识别研究",
        "author": [{"literal": "张三"}, {"family": "李", "given": "四"}],
        "issued": {"date-parts": [[2020]]},
        "container-title": "计算机学报",
        "volume": "43",
        "page": "1-10",
    },
)
WORKS = {
    "hu2022lora": LORA,
    "arxiv:2106.09685": LORA,
    "mnih2015human": DQN,
    "doi:10.1038/nature14236": DQN,
    "vaswani2017attention": ATTENTION,
    "zhang2020": CHINESE_PAPER,
}
CONTEXT = RenderContext(resolve_citation=WORKS.get)

CHINESE_PROSE = "低秩适配只训练很小的增量矩阵，冻结原有权重，显存开销因此大大降低"
ENGLISH_PROSE = "Low-rank adaptation trains small update matrices and freezes the original weights"


# --- Helpers ----------------------------------------------------------------------------


def render(source: str, context: RenderContext = CONTEXT) -> RenderResult:
    result = render_markdown(source, context)
    # Whatever is cited, the output is what sanitizing leaves as it is.
    assert sanitize_html(result.html) == result.html
    assert sanitize_html(result.toc_html) == result.toc_html
    return result


def dom(html: str) -> LexborNode:
    return LexborHTMLParser(f"<!DOCTYPE html><body>{html}").body


def cites(html: str) -> list[LexborNode]:
    """The in-text citation links, in reading order (not those in the reference list)."""
    return [node for node in dom(html).css("a.cite")]


def entries(html: str) -> list[LexborNode]:
    return dom(html).css("section.references > ol > li")


def entry_text(node: LexborNode) -> str:
    return " ".join(node.text().split())


class Recorder:
    """A resolver that remembers the keys it was asked for."""

    def __init__(self, works: Mapping[str, CitedWork]) -> None:
        self.works = works
        self.asked: list[str] = []

    def __call__(self, key: str) -> CitedWork | None:
        self.asked.append(key)
        return self.works.get(key)
