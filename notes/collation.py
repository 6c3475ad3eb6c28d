"""Sort keys that put Chinese and English names in the order a reader looks for them."""

from __future__ import annotations

from pypinyin import lazy_pinyin


def name_key(name: str) -> tuple[str, str]:
    """One alphabet for both: 大模型 sorts as "da mo xing", between "Attention" and "LoRA"
    (code-point order would put every Chinese name after every English one, by stroke
    rank rather than sound)."""
    return (" ".join(lazy_pinyin(name.casefold())), name)
