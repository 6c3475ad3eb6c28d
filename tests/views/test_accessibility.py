"""Accessibility and valid HTML on the pages readers see, checked by the tools auditors use.

The Nu HTML checker (vnu.jar) reads every demo page once, in a single run; axe-core runs in
headless Chromium on the same pages in the light and the dark theme (the system's dark, and
dark chosen with the theme switch on a light system). Both come from npm
(``make checker-deps``); the checks fail, not skip, when they are missing. They are marked
``clients`` and run by ``make check-clients`` (once, after ``make test``), with the feed
checks of tests/views/test_feed_validity.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from taggit.models import Tag

from notes.importexport import import_paths
from notes.models import Category, Note, Paper
from tests.views.test_browser import browser, live_server, open_page  # noqa: F401 (fixtures)

NODE_MODULES = Path(settings.BASE_DIR) / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
DEMO = Path(settings.BASE_DIR) / "demo" / "notes"
PYGMENTS_CSS = Path(settings.BASE_DIR) / "static" / "css" / "pygments.css"
# The code block's background in each theme (static/css/site.css, --code-bg).
CODE_BACKGROUNDS = {"light": "#f5f6f8", "dark": "#1d2025"}
# The page's background in each theme (--bg), as the browser computes it.
PAGE_BACKGROUNDS = {"light": "rgb(253, 253, 251)", "dark": "rgb(21, 23, 26)"}


# --- Colour contrast of highlighted code (no browser needed) --------------------------


def _luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _token_colours(theme: str) -> list[tuple[str, str, str]]:
    """(rule, colour, background) of every token rule of one theme in pygments.css."""
    css = PYGMENTS_CSS.read_text()
    split = css.index("@media (prefers-color-scheme: dark)")
    block = css[:split] if theme == "light" else css[split:]
    found = []
    for rule in re.findall(r"[^{}\n]*\{[^}]*\}", block):
        if "linenos" in rule or ".hll" in rule:
            continue
        own_background = re.search(r"background-color: (#[0-9A-Fa-f]{3,6})", rule)
        background = own_background.group(1) if own_background else CODE_BACKGROUNDS[theme]
        for colour in re.findall(r"(?<!-)color: (#[0-9A-Fa-f]{3,6})", rule):
            found.append((rule.strip(), colour, background))
    return found


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_highlighted_code_meets_wcag_aa_contrast(theme: str) -> None:
    weak = [
        (rule, round(contrast(colour, background), 2))
        for rule, colour, background in _token_colours(theme)
        if contrast(colour, background) < 4.5
    ]
    assert len(_token_colours(theme)) > 30
    assert weak == []


# --- Demo pages ------------------------------------------------------------------------


def demo_urls() -> list[str]:
    """Every page a reader can reach from the demo: the home page (both pages), search
    results, every category and tag, every published note, the indexes, archives and series,
    and English pages."""
    public = Note.objects.published()
    categories = Category.objects.filter(notes__in=public).distinct().order_by("slug")
    tags = Tag.objects.filter(note__in=public).distinct().order_by("slug")
    return [
        "/",
        "/?page=2",
        "/search/",
        f"{reverse('notes:search')}?q=%E6%89%A9%E6%95%A3+attention",  # 扩散 attention
        f"{reverse('notes:search')}?q=%E6%A8%A1%E5%9E%8B",  # 模型: two pages of results
        *(category.get_absolute_url() for category in categories),
        *(reverse("notes:tag", args=[tag.slug]) for tag in tags),
        *(note.get_absolute_url() for note in public),
        # Indexes, archives, series, and the English interface.
        "/category/",
        "/tag/",
        "/archive/",
        "/archive/2026/",
        "/archive/2026/09/",
        "/series/",
        "/series/diffusion-basics/",
        "/updates/",
        "/en/updates/",
        "/papers/",
        "/papers/?q=diffusion",
        "/en/papers/",
        *(paper.get_absolute_url() for paper in Paper.objects.discussed().order_by("pk")),
        "/en/",
        "/en/notes/ddpm/",
        "/en/search/?q=diffusion",
        "/en/category/",
        "/en/tag/",
        "/en/archive/",
        "/en/series/diffusion-basics/",
        *(f"/en{category.get_absolute_url()}" for category in categories[:1]),
        *(f"/en{reverse('notes:tag', args=[tag.slug])}" for tag in tags[:1]),
    ]


def representative_urls() -> list[str]:
    """The pages of ``demo_urls`` but the second and later category and tag pages of each
    language: axe takes about a second a page, and those share one template."""
    kept, seen = [], set()
    for url in demo_urls():
        if listing := re.fullmatch(r"(/en)?/(category|tag)/[^/]+/", url):
            if listing.groups() in seen:
                continue
            seen.add(listing.groups())
        kept.append(url)
    return kept


@pytest.mark.clients
@pytest.mark.django_db
def test_nu_html_checker_finds_no_errors_or_warnings(tmp_path: Path) -> None:
    if not VNU_JAR.exists() or not shutil.which("java"):
        pytest.fail("The Nu checker needs Java and vnu.jar: run `make checker-deps`.")
    report = import_paths([DEMO])
    assert not report.errors
    client = Client()
    files = {}
    for index, url in enumerate(demo_urls()):
        response = client.get(url)
        assert response.status_code == 200, url
        path = tmp_path / f"page-{index}.html"
        path.write_bytes(response.content)
        files[str(path)] = url
    result = subprocess.run(
        # --no-langdetect: the checker's language guess is a statistical heuristic that calls a
        # formula-heavy Chinese page "Norwegian" on some runs; lang is tested in test_editing.
        [
            *("java", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always"),
            *("--no-langdetect", *files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    problems = [
        f"{files.get(m.get('url', '').removeprefix('file:'), m.get('url'))}: "
        f"{m['type']}/{m.get('subType', '')}: {m['message']}"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "warning"
    ]
    assert problems == []


@pytest.mark.clients
@pytest.mark.browser
@pytest.mark.parametrize(
    ("theme", "system"), [("light", "light"), ("dark", "dark"), ("dark", "light")],
    ids=["light", "dark", "dark-chosen-on-light-system"],
)  # fmt: skip
def test_axe_finds_no_serious_or_critical_violation(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    transactional_db,
    theme: str,
    system: str,
) -> None:
    """The dark theme comes from the system (prefers-color-scheme) or from the reader's
    switch (``data-theme``, remembered by static/js/theme.js): two sets of CSS rules, both
    audited."""
    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run `make checker-deps`.")
    assert not import_paths([DEMO]).errors
    # The site's CSP forbids injected scripts, as it should; only the audit bypasses it.
    page, _ = open_page(browser, bypass_csp=True, viewport={"width": 1280, "height": 900})
    page.emulate_media(color_scheme=system)
    if theme != system:
        page.goto(live_server.url + "/")
        page.click(".theme-toggle")  # remembered for every page after this one
    axe = AXE_JS.read_text()
    found = {}
    for url in representative_urls():
        page.goto(live_server.url + url)
        # Audited in the theme meant: the page's background is that theme's --bg.
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background == PAGE_BACKGROUNDS[theme], url
        page.add_script_tag(content=axe)
        violations = page.evaluate(
            "() => axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})"
            ".then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))"
        )
        if violations:
            found[url] = violations
    page.context.close()
    assert found == {}
