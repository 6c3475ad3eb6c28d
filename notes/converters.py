"""URL converters (Chinese slugs, real years and months) and the page-number check."""


class UnicodeSlugConverter:
    """Like Django's ``slug`` converter, but accepts the Chinese slugs notes and tags use."""

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class YearConverter:
    """Four digits, as archive URLs write a year."""

    regex = r"[0-9]{4}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{int(value):04d}"


class MonthConverter:
    """01 to 12: one address per month, never both /3/ and /03/."""

    regex = r"0[1-9]|1[0-2]"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{int(value):02d}"


def page_number(raw: str | None) -> int | None:
    """A list's page number as its links write it (a plain whole number from 1), else None:
    "?page=", "?page=last" or "?page=abc" name no page."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        return None
    return int(raw)
