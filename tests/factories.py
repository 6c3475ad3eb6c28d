"""Small helpers that create categories and notes for tests.

Plain functions over the real models (no factory library): every note goes through
``Note.save()``, so its body is rendered exactly as in production.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from html.parser import HTMLParser

from django.db import connection
from django.utils import timezone

from notes.models import Category, Note

_sequence = itertools.count(1)

# A body with the constructs the pages and feeds must carry through: a heading, a code
# block, a table, a root-relative link and image, and an external link.
RICH_BODY = """\
## 方法 Method

The note explains scaled dot-product attention.

```python
def attention(q, k, v):
    return softmax(q @ k.T) @ v
```

| Model | Params |
| ----- | ------ |
| GPT-2 | 1.5B   |

See [the previous note](/notes/previous-note/) and the figure:

![Attention figure](/media/figures/attention.png)

Paper: [arXiv](https://arxiv.org/abs/1706.03762).
"""


def make_category(name: str | None = None, **fields) -> Category:
    """A category; its name is unique unless given, its slug made from the name."""
    if name is None:
        name = f"Category {next(_sequence)}"
    return Category.objects.create(name=name, **fields)


def make_note(
    title: str | None = None,
    *,
    category: Category | None = None,
    tags: Iterable[str] = (),
    status: str = Note.Status.PUBLISHED,
    published_at: datetime | None = None,
    body: str | None = None,
    **fields,
) -> Note:
    """A note, published a day ago unless told otherwise, with the given tag names."""
    number = next(_sequence)
    if title is None:
        title = f"Note {number}"
    if category is None:
        category = make_category()
    if published_at is None:
        published_at = timezone.now() - timedelta(days=1)
    if body is None:
        body = f"Body of {title}. It discusses an idea worth summarising."
    note = Note.objects.create(
        title=title,
        category=category,
        status=status,
        published_at=published_at,
        body=body,
        **fields,
    )
    tags = list(tags)
    if tags:
        note.tags.add(*tags)
    return note


def make_notes(
    count: int,
    *,
    category: Category | None = None,
    tags: Iterable[str] = (),
    newest: datetime | None = None,
    prefix: str = "Note",
    **fields,
) -> list[Note]:
    """``count`` published notes one hour apart, returned newest first.

    Titles are zero-padded ("Note 007") so no title is a substring of another.
    """
    if category is None:
        category = make_category()
    if newest is None:
        newest = timezone.now() - timedelta(hours=1)
    tags = list(tags)
    return [
        make_note(
            f"{prefix} {index:03d}",
            category=category,
            tags=tags,
            published_at=newest - timedelta(hours=index),
            **fields,
        )
        for index in range(count)
    ]


def draft_and_scheduled(category: Category, tags: Iterable[str] = ()) -> tuple[Note, Note]:
    """A draft and a scheduled note (published, dated tomorrow) no reader may see yet."""
    tags = list(tags)
    draft = make_note("Secret draft note", category=category, tags=tags, status=Note.Status.DRAFT)
    scheduled = make_note(
        "Scheduled future note",
        category=category,
        tags=tags,
        published_at=timezone.now() + timedelta(days=1),
    )
    return draft, scheduled


# The admin note form's paper, figure and update-log inlines, posted empty.
INLINE_MANAGEMENT = {
    f"{prefix}-{name}": value
    for prefix in ("papers", "figures", "updates")
    for name, value in (
        ("TOTAL_FORMS", "0"),
        ("INITIAL_FORMS", "0"),
        ("MIN_NUM_FORMS", "0"),
        ("MAX_NUM_FORMS", "1000"),
    )
}


def settle() -> None:
    """Read the site state once, as any page does (notes.delivery.state): a test's query counts then
    start from a state already written by the changes before it."""
    from notes.delivery import state

    state.current()


# --- Forms, as a browser fills them ---------------------------------------------------


class FormFields(HTMLParser):
    """The name/value pairs a browser would submit for one <form> of a page."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.in_form = False
        self.data: dict[str, list[str]] = {}
        self.textarea: str | None = None
        self.select: str | None = None
        self.select_options: list[tuple[str, bool]] = []

    def add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.in_form = attrs.get("id") == self.form_id
        if not self.in_form or (not attrs.get("name") and tag != "option"):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.add(attrs["name"], attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.add(self.textarea, "")
        elif tag == "select":
            self.select, self.select_options = attrs["name"], []
        elif tag == "option" and self.select:
            self.select_options.append((attrs.get("value", ""), "selected" in attrs))

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.data[self.textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False
        elif tag == "textarea" and self.textarea:
            # Browsers drop the newline that directly follows <textarea>.
            value = self.data[self.textarea][-1]
            self.data[self.textarea][-1] = value.removeprefix("\n")
            self.textarea = None
        elif tag == "select" and self.select:
            chosen = [value for value, selected in self.select_options if selected]
            if not chosen and self.select_options:
                chosen = [self.select_options[0][0]]
            for value in chosen:
                self.add(self.select, value)
            self.select = None


def form_data(html: str, form_id: str = "note_form") -> dict[str, list[str]]:
    parser = FormFields(form_id)
    parser.feed(html)
    assert parser.data, f"no form #{form_id} on the page"
    return parser.data


@contextmanager
def writes_refused() -> Iterator[None]:
    """Any INSERT, UPDATE or DELETE on the database fails the test: readers only read."""

    def refuse(execute, sql, params, many, context):
        if sql.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
            raise AssertionError(f"a reader's request wrote: {sql[:200]}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield
