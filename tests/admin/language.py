"""The editors' interface speaks one language: every message, label and script text of the
notes admin goes through gettext, so an editor in Chinese sees no English sentence and an
editor in English no Chinese one.

Three checks, from the source to the page:

* the admin's Python (notes/admin/*.py): a user-visible string literal — a message, a label,
  a help text, a description, a fieldset title, a validation error, format_html's text — that
  is not wrapped in gettext fails, wherever it is and whether or not a page shows it today;
* the admin's templates (templates/admin/**) the same way: text outside {% translate %} and
  {% blocktranslate %};
* the admin's scripts (static/admin/*.js): every English fallback word of a script has its
  key in the gettext'd words the admin passes it (a data-*messages attribute), and no script
  writes an English literal into the page;
* the pages themselves, in zh-hans: no visible English text (outside what the test wrote and a
  few proper nouns and technical names). A string marked for translation but not translated
  yet renders in English and fails here too; the failure says which strings the catalogue
  (locale/zh_Hans) knows, so "not marked" and "not translated yet" are told apart.

The checks of the source are in test_admin_language_source.py, those of the pages in
test_admin_language_pages.py; this module holds what both take for an English word.
"""

from __future__ import annotations

import re

from django.conf import settings

# Proper nouns and technical names that stay as they are in every language.
NAMES = {
    "markdown", "bibtex", "arxiv", "doi", "url", "urls", "png", "jpeg", "gif", "webp", "svg",
    "mb", "id", "django", "latex", "rss", "atom", "ctrl", "mac", "pdf", "crossref", "csl", "utc",
    "neurips", "iclr", "nature", "dreamfusion", "json", "html", "css", "orcid", "isbn",
}  # fmt: skip
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]")
# Not words of a sentence: code, names, addresses and examples inside translated text.
TECHNICAL = re.compile(
    r"\S*[_/@\\$]\S*"  # check_papers, /updates/, [@key], $math$
    r"|\S*\d\S*"  # hu2021lora, v2, 2106.09685
    r"|\b[\w-]+(?:\.[\w-]+)+\b"  # arxiv.org
    r"|\[\[[^\]]*\]\]"  # [[links]]
    r"|!?\[[^\]]*\]\([^)]*\)"  # Markdown: ![alt](pending-figure:…)
    r"|%\(\w+\)[sd]|\{\{[^}]*\}\}|\{\w*\}"  # placeholders
)


def english_words(text: str, names: set[str] = NAMES) -> list[str]:
    """The words of ``text`` that are English prose, names and technical tokens aside."""
    text = TECHNICAL.sub(" ", text.replace(settings.SITE_NAME, " "))
    return [word for word in WORD.findall(text) if word.lower() not in names]
