"""Recordings, a replaying client and the expected details shared by the paperfetch tests."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

import httpx

from notes.paperfetch import PaperDetails

FIXTURES = Path(__file__).parent.parent / "fixtures" / "papers"
ARXIV_HOST = "export.arxiv.org"
CROSSREF_HOST = "api.crossref.org"
DATACITE_HOST = "api.datacite.org"


def recorded(name: str) -> bytes:
    """A recorded body saved as it came (Atom, JSON, text)."""
    return (FIXTURES / name).read_bytes()


def recorded_arxiv(name: str) -> tuple[int, bytes]:
    """arxiv.py's golden files: the request URL, status and body, the body kept as latin-1
    text of the bytes arXiv sent (their conftest's format)."""
    record = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return record["status_code"], record["body"].encode("latin-1")


Answer = tuple[int, bytes] | Callable[[httpx.Request], httpx.Response]


class Replay:
    """A client whose transport answers each host from recorded answers, in order, and keeps
    every request it was sent."""

    def __init__(self, **hosts: Answer | list[Answer]) -> None:
        self.answers = {
            host.replace("_", "."): list(answer) if isinstance(answer, list) else [answer]
            for host, answer in hosts.items()
        }
        self.requests: list[httpx.Request] = []
        self.client = httpx.Client(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self.answers[request.url.host]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if callable(answer):
            return answer(request)
        status, body = answer
        return httpx.Response(status, content=body)


def hosts(replay: Replay) -> list[str]:
    return [request.url.host for request in replay.requests]


MURRAY_ABSTRACT = (
    "Theoretical description of anisotropic systems, such as layered superconductors "
    "and coupled spin chains, is often a challenge due to the different natures of "
    "interactions along different directions. As a model of such a system, we present"
    ' an analytical study of d-dimensional "nodes" arranged as the vertices of a '
    "Bethe lattice, where each node has nonzero spatial dimension and is described by"
    " an O(N) quantum rotor model, and there is hopping between neighboring nodes. In"
    " the limit of large connectivity on the Bethe lattice, the hopping can be "
    "treated by constructing a self-consistent effective action for a single node. "
    "This procedure is akin to dynamical mean field theory, but generalized so that "
    "spatial as well as quantum fluctuations are taken into account on each node. The"
    " quantum phase transition is studied using this effective action for both "
    "infinite and finite N. The importance of the Perron-Frobenius uniform mode on "
    'the Bethe lattice is discussed, and its elimination via an "infinite range '
    'hopping" term shifts the transition, leading to nontrivial critical behavior. We'
    " calculate critical exponents and find that the internode hopping reduces the "
    "upper and lower critical dimensions each by one, indicating that--at least for "
    "the purposes of quantum criticality--the large number of internode couplings is "
    "similar to adding a single extra dimension to the theory describing a single "
    "node."
)

MURRAY = PaperDetails(
    title=(
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    ),
    authors=("James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"),
    year=2011,
    published=datetime.date(2011, 11, 8),
    venue="Phys. Rev. B 85, 115117 (2012)",
    abstract=MURRAY_ABSTRACT,
    url="https://arxiv.org/abs/1111.2011",
    pdf_url="https://arxiv.org/pdf/1111.2011v2",
    arxiv="1111.2011",
    doi="10.1103/physrevb.85.115117",
    arxiv_version=2,
    updates=(),
)

STANLEY = PaperDetails(
    title="Heat-bath random walks with Markov bases",
    authors=("Caprice Stanley", "Tobias Windisch"),
    year=2016,
    published=datetime.date(2016, 5, 26),
    venue="",
    abstract=(
        "Graphs on lattice points are studied whose edges come from a finite set of allowed "
        "moves of arbitrary length. We show that the diameter of these graphs on fibers of a "
        "fixed integer matrix can be bounded from above by a constant. We then study the "
        "mixing behaviour of heat-bath random walks on these graphs. We also state explicit "
        "conditions on the set of moves so that the heat-bath random walk, a generalization "
        "of the Glauber dynamics, is an expander in fixed dimension."
    ),
    url="https://arxiv.org/abs/1605.08386",
    pdf_url="https://arxiv.org/pdf/1605.08386v1",
    arxiv="1605.08386",
    doi="",
    arxiv_version=1,
    updates=(),
)


ELIFE_ABSTRACT = (
    "Among various advantages, their small size makes model organisms preferred subjects of "
    "investigation. Yet, even in model systems detailed analysis of numerous developmental "
    "processes at cellular level is severely hampered by their scale. For instance, secondary "
    "growth of Arabidopsis hypocotyls creates a radial pattern of highly specialized tissues "
    "that comprises several thousand cells starting from a few dozen. This dynamic process is "
    "difficult to follow because of its scale and because it can only be investigated "
    "invasively, precluding comprehensive understanding of the cell proliferation, "
    "differentiation, and patterning events involved. To overcome such limitation, we "
    "established an automated quantitative histology approach. We acquired hypocotyl "
    "cross-sections from tiled high-resolution images and extracted their information content "
    "using custom high-throughput image processing and segmentation. Coupled with automated "
    "cell type recognition through machine learning, we could establish a cellular resolution "
    "atlas that reveals vascular morphodynamics during secondary growth, for example "
    "equidistant phloem pole formation."
)

ELIFE = PaperDetails(
    title=(
        "Automated quantitative histology reveals vascular morphodynamics during Arabidopsis "
        "hypocotyl secondary growth"
    ),
    authors=(
        "Martial Sankar",
        "Kaisa Nieminen",
        "Laura Ragni",
        "Ioannis Xenarios",
        "Christian S Hardtke",
    ),
    year=2014,
    published=datetime.date(2014, 2, 11),
    venue="eLife",
    abstract=ELIFE_ABSTRACT,
    url="https://doi.org/10.7554/elife.01567",
    pdf_url="https://cdn.elifesciences.org/articles/01567/elife-01567-v1.pdf",
    arxiv="",
    doi="10.7554/elife.01567",
    arxiv_version=None,
    updates=(),
)
