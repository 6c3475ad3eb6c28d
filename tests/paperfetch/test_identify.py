"""identify(): what editors paste, read as an arXiv id or a DOI, or refused."""

from __future__ import annotations

import pytest

from notes.paperfetch import (
    FetchError,
    UnknownIdentifier,
    fetch,
    fetch_arxiv,
    fetch_doi,
    identify,
)
from tests.paperfetch.support import Replay

# ---------------------------------------------------------------------------------------------
# identify


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2106.09685", ("arxiv", "2106.09685")),
        ("2106.09685v2", ("arxiv", "2106.09685")),
        ("arXiv:2106.09685v2", ("arxiv", "2106.09685")),
        ("arxiv: 2106.09685", ("arxiv", "2106.09685")),
        ("  2106.09685\n", ("arxiv", "2106.09685")),
        ("https://arxiv.org/abs/2106.09685v2", ("arxiv", "2106.09685")),
        ("http://export.arxiv.org/abs/2106.09685", ("arxiv", "2106.09685")),
        ("https://arxiv.org/pdf/2106.09685v1.pdf", ("arxiv", "2106.09685")),
        ("arxiv.org/abs/2106.09685", ("arxiv", "2106.09685")),
        ("1706.03762v7", ("arxiv", "1706.03762")),
        ("astro-ph/0601001v1", ("arxiv", "astro-ph/0601001")),
        ("10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("10.1038/NATURE14236", ("doi", "10.1038/nature14236")),
        ("doi:10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("DOI: 10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("https://doi.org/10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("http://dx.doi.org/10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("https://www.doi.org/10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("doi.org/10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("10.48550/arXiv.2106.09685", ("doi", "10.48550/arxiv.2106.09685")),
    ],
)
def test_identify_reads_what_editors_paste(value: str, expected: tuple[str, str]) -> None:
    assert identify(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "LoRA",
        "javascript:alert(1)",
        "doi:javascript:alert(1)",
        "https://doi.org/javascript:alert(1)",
        "<script>alert(1)</script>",
        "https://example.com/paper.pdf",
        "10.1038",
        "10.1038/ nature14236",
        "10.1234/abc\x00def",
        "2106.0968",
        "arXiv:",
    ],
)
def test_identify_refuses_junk_with_a_clear_message(value: str) -> None:
    with pytest.raises(UnknownIdentifier) as caught:
        identify(value)
    # One kind of error for callers: a FetchError, and a ValueError for form validation.
    assert isinstance(caught.value, FetchError)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == (
        "Not an arXiv id or a DOI: give e.g. 2106.09685, arXiv:2106.09685v2, "
        "10.1038/nature14236 or a doi.org address."
    )


def test_a_javascript_doi_asks_nothing_of_any_service() -> None:
    replay = Replay()
    for call in (fetch, fetch_doi, fetch_arxiv):
        with pytest.raises(UnknownIdentifier):
            call("javascript:alert(1)", client=replay.client)
    assert replay.requests == []


def test_fetch_arxiv_refuses_a_doi_and_fetch_doi_an_arxiv_id() -> None:
    replay = Replay()
    with pytest.raises(UnknownIdentifier, match="Not an arXiv id"):
        fetch_arxiv("10.1038/nature14236", client=replay.client)
    with pytest.raises(UnknownIdentifier, match="Not a DOI"):
        fetch_doi("2106.09685", client=replay.client)
    assert replay.requests == []
