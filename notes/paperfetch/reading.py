"""Small readers the three services' parsers share: plain text, dates, links, JSON objects."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from django.utils.translation import gettext as _

from notes.paperfetch.details import BadResponse


def _collapse(text: str | None) -> str:
    return " ".join(str(text or "").split())


def _unreadable(service: str) -> BadResponse:
    return BadResponse(
        _("%(service)s sent an answer that could not be read.") % {"service": service}
    )


def _untitled(service: str) -> BadResponse:
    return BadResponse(_("%(service)s sent no title for this paper.") % {"service": service})


def _date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(text or "")[:10])
    except ValueError:
        return None


def _web_link(value: Any) -> str:
    """``value`` when it is an http(s) address; what a page may link to."""
    text = str(value or "").strip()
    return text if re.fullmatch(r"https?://[^\s\x00-\x1f\x7f]+", text, re.IGNORECASE) else ""


def _json(payload: bytes, service: str) -> dict:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _unreadable(service) from exc
    if not isinstance(data, dict):
        raise _unreadable(service)
    return data


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []
