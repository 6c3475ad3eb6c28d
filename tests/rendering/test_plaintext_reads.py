"""One parse reads a rendered body every way (excerpt, reading time, language, search): each
must be what reading that HTML alone, one way, gives."""

from __future__ import annotations

from notes.rendering import CitedWork, LinkTarget, RenderContext, plaintext, render_markdown
from notes.rendering.plaintext import marked_text

BODY = """## 背景 $x^2$

第一段有公式 $E=mc^2$ 和 $\\frac{1}{d}$，链接 [[另一篇]] 与引用 [@hu2022lora]。[^1]

$$
\\mathcal{L}(\\theta) = \\sum_{i=1}^{n} \\log p_\\theta(x_i)
$$

| a | $b_1$ |
|---|---|
| c | d |

```python
print("code")
```

English prose with a footnote and a [link](https://example.org) &amp; more.<br>Next line.

[^1]: 脚注的文字。
"""


def _work(key: str) -> CitedWork:
    return CitedWork(key=key, url=f"/papers/{key}/", csl={"id": key, "type": "article",
        "title": f"Title {key}", "author": [{"family": "Hu", "given": "E."}]})  # fmt: skip


CONTEXT = RenderContext(
    resolve_link=lambda key: LinkTarget(slug="other", url="/notes/other/", title=key),
    resolve_citation=_work,
)


def _alone(html: str) -> dict[tuple[bool, bool, bool], str]:
    return {way: plaintext._extract_one.__wrapped__(html, way) for way in plaintext._WAYS}


def test_one_parse_reads_every_way_as_each_alone() -> None:
    html = render_markdown(BODY * 4, CONTEXT).html
    body = html.rpartition('\n<section class="references"')[0]
    for text in (body, html):
        plaintext._EVERY_WAY.clear()
        plaintext.read_every_way(text)
        assert plaintext._EVERY_WAY[text] == _alone(text)


def test_search_text_after_rendering_is_the_kept_reading() -> None:
    """The derive step asks for the search text of the HTML just rendered: a body without a
    reference list is read already, and it is what reading it alone gives."""
    source = BODY.replace(" [@hu2022lora]", "") * 4
    plaintext._EVERY_WAY.clear()
    plaintext._extract_one.cache_clear()
    result = render_markdown(source, CONTEXT)
    misses = plaintext._extract_one.cache_info().misses
    marked = marked_text(result.html)
    assert plaintext._extract_one.cache_info().misses == misses  # no parse of its own
    assert marked == _alone(result.html)[(False, False, True)]


def test_a_body_rendered_elsewhere_is_read_only_the_way_asked() -> None:
    """An import renders bodies in worker processes: the saving process reads only the
    search text, not every way."""
    html = render_markdown(BODY * 4, CONTEXT).html
    plaintext._EVERY_WAY.clear()
    plaintext._extract_one.cache_clear()
    assert marked_text(html) == _alone(html)[(False, False, True)]
    assert html not in plaintext._EVERY_WAY
    assert plaintext._extract_one.cache_info().currsize == 1
