"""Feed validation without a network: what the W3C Feed Validation Service reports as errors,
checked on this machine for the two formats the site serves.

The W3C validator (validator.w3.org/feed) is a web service whose Python source is not
published on PyPI or npm, and CI reaches nothing but package registries. Its checks are
done here in two halves instead:

1. **Structure, by RELAX NG grammars** (``tests/schemas/``): Atom by RFC 4287's own grammar
   (Appendix B); RSS 2.0, which has no official schema, by a grammar of the RSS Advisory
   Board's specification (2.0.11) written for this project. Both run in the RELAX NG
   engine (Jing) inside the Nu checker, ``vnu.jar --xml --schema``, which the HTML checks
   install anyway (``make checker-deps``).
2. **What a grammar cannot say**, by the functions below (each problem a readable line):

   Both formats
     - the feed names itself: a ``rel="self"`` link whose address is exactly the one it was
       fetched at (a reader that follows it must get the same feed, not a 404);
     - every item's id (RSS ``guid``, Atom ``id``) is unique in the feed;
     - the HTML in descriptions, summaries and content holds no relative address (a feed
       reader has no base to resolve it against) and nothing a reader must strip to stay
       safe: no ``script``, ``iframe``, ``object``, ``embed``, ``form``, ``style``,
       ``link``, ``meta`` or ``base`` element, no ``on…`` event attribute, no
       ``javascript:``, ``vbscript:`` or ``data:`` address.

   RSS 2.0
     - every item has a title or a description (the specification's one rule on items);
     - a ``guid`` that is a permalink (no ``isPermaLink="false"``) is an absolute URL;
     - every date is a real date, and its day of the week is the date's.

   Atom (RFC 4287)
     - ``id`` values are absolute IRIs (4.2.6);
     - dates are RFC 3339 date-times with a time zone (3.3), which ``xsd:dateTime`` in the
       grammar does not require;
     - the feed has an author, or every entry has one (4.1.1);
     - every entry has an ``alternate`` link or content (4.1.1.3), and neither the feed nor
       an entry has two ``alternate`` links with the same type and language (4.1.1, 4.1.2).

Run on the site's feeds, the real W3C validator (its source from GitHub, run by hand) found
no error and one kind of warning: "Non-html tag", for MathML, which its HTML list predates.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

SCHEMAS = Path(__file__).resolve().parent / "schemas"
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"

UNSAFE_ELEMENTS = ("script", "iframe", "object", "embed", "form", "style", "link", "meta", "base")
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")
# RFC 3339 section 5.6: a date-time always carries its offset ("Z" or ±hh:mm).
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def schema_problems(feeds: dict[str, bytes], schema: str, vnu_jar: Path) -> list[str]:
    """``url: line N: message`` for every place a feed breaks ``tests/schemas/<schema>``,
    all feeds in one run of the Nu checker's RELAX NG engine."""
    with tempfile.TemporaryDirectory(prefix="feeds-") as folder:
        files = {}
        for index, (url, xml) in enumerate(feeds.items()):
            path = Path(folder) / f"feed-{index}.xml"
            path.write_bytes(xml)
            files[path.as_uri()] = url
        result = subprocess.run(
            [
                *("java", "-jar", str(vnu_jar), "--xml", "--format", "json"),
                *("--exit-zero-always", "--schema", (SCHEMAS / schema).as_uri()),
                *(urlsplit(uri).path for uri in files),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    return [
        f"{files.get(m.get('url', ''), m.get('url'))}: line {m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "warning"
    ]


def html_problems(html: str) -> list[str]:
    """What a feed reader would have to strip or could not resolve in an item's HTML."""
    tree = LexborHTMLParser(html)
    problems = [f"<{tag}> element" for tag in UNSAFE_ELEMENTS if tree.css_first(tag)]
    for node in tree.css("*"):
        for name, value in node.attributes.items():
            if name.lower().startswith("on"):
                problems.append(f"{name} attribute on <{node.tag}>")
            if name in ("href", "src") and value is not None:
                address = value.strip()
                if address.lower().startswith(UNSAFE_SCHEMES):
                    problems.append(f"{name}={address[:40]!r} on <{node.tag}>")
                elif not urlsplit(address).scheme and not address.startswith("#"):
                    problems.append(f"relative {name}={address!r} on <{node.tag}>")
    return problems


def _absolute_url(value: str) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _duplicates(values: list) -> list:
    return list(dict.fromkeys(value for value in values if values.count(value) > 1))


def rss_problems(xml: bytes, url: str) -> list[str]:
    """The rules of the module docstring for an RSS 2.0 feed fetched at ``url``."""
    channel = ET.fromstring(xml).find("channel")
    if channel is None:
        return ["no <channel>"]
    problems = []
    selves = [
        link.get("href") for link in channel.findall(f"{ATOM}link") if link.get("rel") == "self"
    ]
    if selves != [url]:
        problems.append(f"self link {selves} is not the feed's address {url}")
    dates = [channel.findtext(name) for name in ("pubDate", "lastBuildDate")]
    guids = []
    for number, item in enumerate(channel.findall("item"), 1):
        where = f"item {number}"
        if not (item.findtext("title") or item.findtext("description")):
            problems.append(f"{where}: neither a title nor a description")
        guid = item.find("guid")
        if guid is not None:
            guids.append(guid.text or "")
            if guid.get("isPermaLink", "true") == "true" and not _absolute_url(guid.text or ""):
                problems.append(f"{where}: permalink guid {guid.text!r} is not a URL")
        dates.append(item.findtext("pubDate"))
        for name in ("description", CONTENT_ENCODED):
            html = item.findtext(name)
            if html:
                problems += [f"{where} {name}: {p}" for p in html_problems(html)]
    problems += [f"guid {guid!r} used twice" for guid in _duplicates(guids)]
    for date in filter(None, dates):
        problems += _rfc822_problems(date)
    return problems


def _rfc822_problems(date: str) -> list[str]:
    try:
        parsed = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return [f"date {date!r} is not a date"]
    if "," in date and date.split(",")[0].strip() != WEEKDAYS[parsed.weekday()]:
        return [f"date {date!r}: the day of the week is wrong"]
    return []


def atom_problems(xml: bytes, url: str) -> list[str]:
    """The rules of the module docstring for an Atom feed fetched at ``url``."""
    feed = ET.fromstring(xml)
    problems = []
    selves = [link.get("href") for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    if selves != [url]:
        problems.append(f"self link {selves} is not the feed's address {url}")
    problems += _alternate_problems(feed, "feed")
    feed_has_author = feed.find(f"{ATOM}author") is not None
    ids = []
    for element in feed.iter():
        if element.tag == f"{ATOM}id":
            ids.append(element.text or "")
            if not urlsplit((element.text or "").strip()).scheme:
                problems.append(f"id {element.text!r} is not an absolute IRI")
        elif element.tag in (f"{ATOM}updated", f"{ATOM}published"):
            problems += _rfc3339_problems(element.text or "")
    entries = feed.findall(f"{ATOM}entry")
    for number, entry in enumerate(entries, 1):
        where = f"entry {number}"
        if not feed_has_author and entry.find(f"{ATOM}author") is None:
            problems.append(f"{where}: no author, and the feed has none")
        alternates = [
            link
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        if not alternates and entry.find(f"{ATOM}content") is None:
            problems.append(f"{where}: neither an alternate link nor content")
        problems += _alternate_problems(entry, where)
        for name in ("summary", "content"):
            element = entry.find(f"{ATOM}{name}")
            if element is not None and element.get("type") == "html" and element.text:
                problems += [f"{where} {name}: {p}" for p in html_problems(element.text)]
    problems += [f"id {value!r} used twice" for value in _duplicates(ids)]
    return problems


def _alternate_problems(parent: ET.Element, where: str) -> list[str]:
    kinds = [
        (link.get("type"), link.get("hreflang"))
        for link in parent.findall(f"{ATOM}link")
        if link.get("rel", "alternate") == "alternate"
    ]
    return [f"{where}: two alternate links of type {kind}" for kind in _duplicates(kinds)]


def _rfc3339_problems(value: str) -> list[str]:
    if not RFC3339.fullmatch(value.strip()):
        return [f"date {value!r} is not an RFC 3339 date-time with a time zone"]
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return [f"date {value!r} is not a date"]
    return []
