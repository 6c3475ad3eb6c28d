"""One paper record per paper: the per-note copies that share an arXiv id or a DOI become one
record, linked from every note that listed it, in the note's order. The merged record keeps
every field: the first copy's value, else the first non-empty one among the others."""

import re
import unicodedata

from django.db import migrations

FIELDS = ("title", "authors", "venue", "year", "url", "doi", "arxiv", "code_url")
_STOP = {"a", "an", "the", "on", "of", "for", "and", "to", "in", "towards", "toward"}


def _ascii_word(text):
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^A-Za-z0-9]", "", decomposed.encode("ascii", "ignore").decode())


def _key(authors, year, title):
    # notes.papers.bibtex_key as it was when this migration was written.
    names = [" ".join(part.split()) for part in re.split(r"[\n;]+", authors) if part.strip()]
    family = _ascii_word(names[0].split()[-1]).lower() if names else "anon"
    words = [_ascii_word(word).lower() for word in title.split()]
    first = next((word for word in words if word and word not in _STOP), "paper")
    key = f"{family or 'anon'}{year or ''}{first}"
    return key if key[:1].isalpha() else f"p{key}"


def merge(apps, schema_editor):
    Paper = apps.get_model("notes", "Paper")
    NotePaper = apps.get_model("notes", "NotePaper")
    rows = list(Paper.objects.order_by("id"))
    # Union-find over identifiers: copies sharing an arXiv id or a DOI are one paper, even
    # when one copy has only the arXiv id and another both.
    parent = {row.pk: row.pk for row in rows}

    def root(pk):
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    first_with = {}
    for row in rows:
        for ident in (f"arxiv:{row.arxiv}" if row.arxiv else "", f"doi:{row.doi}" if row.doi else ""):
            if not ident:
                continue
            if ident in first_with:
                a, b = root(first_with[ident]), root(row.pk)
                parent[max(a, b)] = min(a, b)
            else:
                first_with[ident] = row.pk
    groups = {}
    for row in rows:
        groups.setdefault(root(row.pk), []).append(row)
    keys = set()
    links = []
    for canonical_pk, copies in groups.items():
        canonical = copies[0]
        for name in FIELDS:
            if getattr(canonical, name) in ("", None):
                value = next((getattr(c, name) for c in copies if getattr(c, name) not in ("", None)), None)
                if value is not None:
                    setattr(canonical, name, value)
        base = _key(canonical.authors, canonical.year, canonical.title)
        key, suffix = base, ord("a")
        while key in keys:
            suffix += 1
            key = f"{base}-{chr(suffix)}"
        keys.add(key)
        canonical.key = key
        canonical.save()
        links += [(copy.note_id, copy.position, copy.pk, canonical.pk) for copy in copies]
        Paper.objects.filter(pk__in=[c.pk for c in copies[1:]]).delete()
    # A note listed its copies by (position, id); the old admin saved them all at position 0.
    # Links made in that order keep it (NotePaper is ordered by position, id); a paper a note
    # listed twice keeps its first place.
    seen = set()
    rows = []
    for note_id, position, _copy_pk, paper_pk in sorted(links):
        if (note_id, paper_pk) not in seen:
            seen.add((note_id, paper_pk))
            rows.append(NotePaper(note_id=note_id, paper_id=paper_pk, position=position))
    NotePaper.objects.bulk_create(rows, batch_size=500)


def split(apps, schema_editor):
    """Back to a copy per note (for a rollback): each link becomes its own row again."""
    Paper = apps.get_model("notes", "Paper")
    NotePaper = apps.get_model("notes", "NotePaper")
    # The first link of a paper gets its row, the others copies. Each link's paper was read
    # with the link (not again after a row was given away), so the rows given are counted
    # here. Positions are renumbered in each note's order: a copy's id no longer follows it.
    given = set()
    rank = {}
    for link in NotePaper.objects.select_related("paper").order_by("note_id", "position", "id"):
        paper = link.paper
        position = rank[link.note_id] = rank.get(link.note_id, -1) + 1
        if paper.pk not in given:
            given.add(paper.pk)
            paper.note_id, paper.position = link.note_id, position
            paper.save()
        else:
            values = {name: getattr(paper, name) for name in FIELDS}
            Paper.objects.create(note_id=link.note_id, position=position, **values)
    Paper.objects.filter(note__isnull=True).delete()
    NotePaper.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0017_shared_papers"),
    ]

    operations = [
        migrations.RunPython(merge, split),
    ]
