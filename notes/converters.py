class UnicodeSlugConverter:
    """Like Django's ``slug`` converter, but accepts the Chinese slugs notes and tags use."""

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
