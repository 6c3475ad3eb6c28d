"""The load test's editor: a small HTTP client and an admin session that fills in note forms."""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from zoneinfo import ZoneInfo

EDITOR, PASSWORD = "load-editor", "load-editor-password-8c1f0e"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str
    began: float
    ended: float


def request(base: str, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:  # fmt: skip
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    began = time.monotonic()
    try:
        connection.request(method, urllib.parse.quote(path, safe="/?=&%"), body, headers or {})
        response = connection.getresponse()
        data = response.read()
        return Answer(response.status, response.headers, data.decode(errors="replace"), began,
                      time.monotonic())  # fmt: skip
    finally:
        connection.close()


class FormReader(HTMLParser):
    """The fields a browser would submit from the form with ``form_id``."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.textarea: tuple[str, list[str]] | None = None
        self.select: dict | None = None
        self.option: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attributes:
                return
            self.fields.append((name, attributes.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self.textarea = (name, [])
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in attributes, "options": []}
        elif tag == "option" and self.select is not None:
            self.option = {"value": attributes.get("value"), "selected": "selected" in attributes,
                           "text": ""}  # fmt: skip
            self.select["options"].append(self.option)

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1].append(data)
        elif self.option is not None:
            self.option["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            name, parts = self.textarea
            text = "".join(parts)
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self.textarea = None
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None:
            options = self.select["options"]
            chosen = [option for option in options if option["selected"]]
            if not chosen and options and not self.select["multiple"]:
                chosen = options[:1]
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"].strip()
                self.fields.append((self.select["name"], value))
            self.select = None


class Editor:
    """An editor in the admin, over HTTP with a signed-in session, as a browser would."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, path: str, fields: list[tuple[str, str]] | None = None) -> Answer:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = request(self.base, method, path, body, headers)
        for header in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer

    def form(self, path: str, form_id: str) -> list[tuple[str, str]]:
        answer = self._send("GET", path)
        assert answer.status == 200, f"GET {path}: {answer.status}"
        reader = FormReader(form_id)
        reader.feed(answer.body)
        assert reader.fields, f"no form #{form_id} at {path}"
        return reader.fields

    def sign_in(self) -> None:
        fields = dict(self.form("/admin/login/?next=/admin/", "login-form"))
        fields.update(username=EDITOR, password=PASSWORD)
        answer = self._send("POST", "/admin/login/?next=/admin/", list(fields.items()))
        assert answer.status == 302 and "sessionid" in self.cookies, answer.body[:2000]

    def save(self, path: str, changes: dict[str, str],
             form: list[tuple[str, str]] | None = None) -> Answer:  # fmt: skip
        """Open the note form at ``path`` (unless given), change some fields, save; the answer
        to the save (a redirect once the transaction is committed)."""
        if form is None:
            form = self.form(path, "note_form")
        fields = [(name, value) for name, value in form if name not in changes]
        fields += list(changes.items())
        answer = self._send("POST", path, fields)
        if answer.status != 302:
            errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', answer.body, re.S)
            raise AssertionError(f"saving {path}: {answer.status} {errors}")
        return answer


def local_fields(moment: float, zone: str) -> dict[str, str]:
    """The admin's split date and time fields for an instant, in the site's time zone."""
    when = datetime.fromtimestamp(moment, ZoneInfo(zone))
    return {"published_at_0": f"{when:%Y-%m-%d}", "published_at_1": f"{when:%H:%M:%S}"}
