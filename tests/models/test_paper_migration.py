"""Papers becoming shared records (notes 0017-0019, issue 20): the per-note copies a site
holds are merged into one record per arXiv id or DOI, every field kept, each note linked in
the order it listed them; and a rollback gives every note its own copy again.

Run on the database the suite runs on (SQLite, or PostgreSQL with DATABASE_URL), through
Django's migration executor, from and back to the schema before the change."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase

BEFORE = [("notes", "0016_note_updates")]
AFTER = [("notes", "0019_papers_are_records")]

# The paper fields a copy had before the change, in the order the checks read them.
FIELDS = ("title", "authors", "venue", "year", "url", "doi", "arxiv", "code_url")

LORA_1 = {
    "title": "LoRA: Low-Rank Adaptation of Large Language Models",
    "authors": "Edward J. Hu\nYelong Shen",
    "year": 2022,
    "arxiv": "2106.09685",
}
# The same paper as other notes filled it in: a venue and code, an address, a DOI.
LORA_2 = {"title": "LoRA", "venue": "ICLR", "arxiv": "2106.09685",
          "code_url": "https://github.com/microsoft/LoRA"}  # fmt: skip
LORA_3 = {"title": "LoRA (survey copy)", "arxiv": "2106.09685", "year": 2021,
          "url": "https://arxiv.org/abs/2106.09685"}  # fmt: skip
LORA_4 = {"title": "LoRA, listed twice", "arxiv": "2106.09685",
          "doi": "10.48550/arxiv.2106.09685"}  # fmt: skip
LORA_5 = {"title": "LoRA", "arxiv": "2106.09685", "venue": "arXiv"}
# Known by its DOI only on one note, by its arXiv id and DOI on another.
DQN_DOI_ONLY = {"title": "Human-level control through deep reinforcement learning",
                "year": 2015, "doi": "10.1038/nature14236"}  # fmt: skip
DQN_BOTH = {"title": "Human-level control (Nature)", "authors": "Volodymyr Mnih\nKoray Kavukcuoglu",
            "venue": "Nature", "year": 2016, "doi": "10.1038/nature14236",
            "arxiv": "1312.5602"}  # fmt: skip
QLORA = {"title": "QLoRA: Efficient Finetuning of Quantized LLMs", "authors": "Tim Dettmers",
         "year": 2023, "arxiv": "2305.14314"}  # fmt: skip
TRANSFORMER = {"title": "Attention Is All You Need", "authors": "Ashish Vaswani", "year": 2017,
               "arxiv": "1706.03762"}  # fmt: skip
# No identifier: nothing says two copies are the same paper, so each stays a record.
CHINCHILLA = {"title": "Training Compute-Optimal Large Language Models",
              "authors": "Jordan Hoffmann", "year": 2022}  # fmt: skip

# Each note's copies, as (position, fields), in the order they were made (their ids). The
# old admin saved every paper at position 0 (its form had no position): those notes listed
# them by id.
NOTES = {
    "lora": [(0, LORA_1), (1, DQN_DOI_ONLY)],
    "qlora": [(0, QLORA), (1, LORA_2)],
    "dqn": [(0, DQN_BOTH)],
    "peft-survey": [(0, LORA_3), (2, LORA_4), (1, CHINCHILLA)],
    "from-the-admin": [(0, TRANSFORMER), (0, LORA_5), (0, CHINCHILLA)],
}

# One record per identifier: the first copy's value (by id), else the first non-empty one.
MERGED_LORA = {
    "title": LORA_1["title"], "authors": LORA_1["authors"], "venue": "ICLR", "year": 2022,
    "url": "https://arxiv.org/abs/2106.09685", "doi": "10.48550/arxiv.2106.09685",
    "arxiv": "2106.09685", "code_url": "https://github.com/microsoft/LoRA",
}  # fmt: skip
MERGED_DQN = {
    "title": DQN_DOI_ONLY["title"], "authors": DQN_BOTH["authors"], "venue": "Nature",
    "year": 2015, "url": "", "doi": "10.1038/nature14236", "arxiv": "1312.5602", "code_url": "",
}  # fmt: skip


def whole(fields: dict) -> dict:
    return {name: fields.get(name, None if name == "year" else "") for name in FIELDS}


# What each note lists afterwards, in its order, with the record's key.
EXPECTED = {
    "lora": [(MERGED_LORA, "hu2022lora"), (MERGED_DQN, "mnih2015humanlevel")],
    "qlora": [(whole(QLORA), "dettmers2023qlora"), (MERGED_LORA, "hu2022lora")],
    "dqn": [(MERGED_DQN, "mnih2015humanlevel")],
    "peft-survey": [
        (MERGED_LORA, "hu2022lora"),
        (whole(CHINCHILLA), "hoffmann2022training"),
    ],
    "from-the-admin": [
        (whole(TRANSFORMER), "vaswani2017attention"),
        (MERGED_LORA, "hu2022lora"),
        (whole(CHINCHILLA), "hoffmann2022training-b"),
    ],
}


class PapersBecomeRecordsMigrationTests(TransactionTestCase):
    maxDiff = None

    def migrate(self, targets: list[tuple[str, str]]):
        """Migrate the test database to ``targets``; the models as they were there."""
        executor = MigrationExecutor(connection)
        executor.migrate(targets)
        return MigrationExecutor(connection).loader.project_state(targets).apps

    def migrate_to_latest(self) -> None:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    def setUp(self) -> None:
        # Whatever happens, the next tests find the schema the models have.
        self.addCleanup(self.migrate_to_latest)
        apps = self.migrate(BEFORE)
        Category, Note, Paper = (
            apps.get_model("notes", name) for name in ("Category", "Note", "Paper")
        )
        category = Category.objects.create(name="ML", slug="ml")
        self.copies = {}
        for slug, copies in NOTES.items():
            note = Note.objects.create(title=slug, slug=slug, category=category, body="Body.")
            self.copies[slug] = [
                Paper.objects.create(note=note, position=position, **fields).pk
                for position, fields in copies
            ]

    def listed(self, apps) -> dict[str, list[tuple[dict, str]]]:
        """Each note's papers after the change: (fields, key), in the note's order."""
        NotePaper = apps.get_model("notes", "NotePaper")
        lists: dict[str, list] = {slug: [] for slug in NOTES}
        for link in NotePaper.objects.select_related("note", "paper").order_by(
            "note__slug", "position", "id"
        ):
            fields = {name: getattr(link.paper, name) for name in FIELDS}
            lists[link.note.slug].append((fields, link.paper.key))
        return lists

    def test_copies_become_one_record_per_paper_and_come_back_on_rollback(self) -> None:
        apps = self.migrate(AFTER)
        Paper = apps.get_model("notes", "Paper")

        # One record per identifier; the papers without one stay as they were.
        self.assertEqual(Paper.objects.filter(arxiv="2106.09685").count(), 1)
        self.assertEqual(Paper.objects.filter(doi="10.1038/nature14236").count(), 1)
        self.assertEqual(Paper.objects.filter(title=CHINCHILLA["title"]).count(), 2)
        self.assertEqual(Paper.objects.count(), 6)
        # Every note lists its papers in its old order, each once, every field kept.
        self.assertEqual(self.listed(apps), EXPECTED)
        # The record keeps the first copy's id: what old links and revisions name.
        self.assertEqual(Paper.objects.get(arxiv="2106.09685").pk, self.copies["lora"][0])
        self.assertEqual(Paper.objects.get(arxiv="1312.5602").pk, self.copies["lora"][1])
        # Keys: made from the merged record, unique, none empty.
        keys = list(Paper.objects.values_list("key", flat=True))
        self.assertEqual(len(set(keys)), len(keys))
        self.assertNotIn("", keys)

        # The rollback: every note has its own copy again, in its order.
        apps = self.migrate(BEFORE)
        Paper = apps.get_model("notes", "Paper")
        self.assertEqual(Paper.objects.count(), sum(len(papers) for papers in EXPECTED.values()))
        for slug, expected in EXPECTED.items():
            with self.subTest(slug):
                copies = Paper.objects.filter(note__slug=slug).order_by("position", "id")
                self.assertEqual(
                    [{name: getattr(copy, name) for name in FIELDS} for copy in copies],
                    [fields for fields, _key in expected],
                )

        # And forward again: the same records and lists as the first time.
        apps = self.migrate(AFTER)
        self.assertEqual(self.listed(apps), EXPECTED)
