"""The load test's checks: what readers see after each save, worker memory, and the verdict."""

from __future__ import annotations

import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.editor import request


@dataclass
class Event:
    kind: str  # "new", "edit" or "scheduled"
    marker: str
    urls: list[str]
    sent: float = 0.0
    committed: float = 0.0  # the save's answer arrived: committed before it
    polls: list[tuple[str, float, float, bool, int]] = field(default_factory=list)


class Checker:
    """Readers pressing reload on the pages of the editor's latest saves: for each page a
    thread asking for it again as soon as it has its answer (``per_page`` such threads,
    staggered, to sample time more finely); every answer is kept with its timing."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.threads: list[threading.Thread] = []

    def watch(self, event: Event, until: float, per_page: int = 1) -> None:
        for index, url in enumerate(event.urls):
            for offset in range(per_page if index == 0 else 1):
                thread = threading.Thread(
                    target=self._poll, args=(event, url, until, offset * 0.05), daemon=True
                )
                thread.start()
                self.threads.append(thread)

    def _poll(self, event: Event, url: str, until: float, delay: float) -> None:
        time.sleep(delay)
        while time.monotonic() < until:
            try:
                answer = request(self.base, "GET", url, timeout=10)
            except OSError:
                continue
            shown = answer.status == 200 and event.marker in answer.body
            event.polls.append((url, answer.began, answer.ended, shown, answer.status))

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=15)


class Memory(threading.Thread):
    """Each gunicorn worker's VmRSS, once a second."""

    def __init__(self, master: int) -> None:
        super().__init__(daemon=True)
        self.master = master
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.stopping = threading.Event()

    def workers(self) -> dict[int, int]:
        children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text().split()
        sizes = {}
        for pid in children:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                continue
            found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            if found:
                sizes[int(pid)] = int(found.group(1))
        return sizes

    def run(self) -> None:
        while not self.stopping.wait(1.0 - time.monotonic() % 1.0):
            self.samples.append((time.monotonic(), self.workers()))


def staleness(events: list[Event]) -> dict:
    """For each save: how long after its answer the first reader request showed it, and how
    many requests made after the answer did not."""
    delays, stale = [], []
    for event in events:
        after = [poll for poll in event.polls if poll[1] >= event.committed]
        stale_here = [poll for poll in after if not poll[3]]
        stale += [(event.kind, event.marker, url, status) for url, _b, _e, _s, status in stale_here]
        shown = [ended for _url, _began, ended, ok, _status in event.polls if ok]
        if shown:
            delays.append(max(0.0, min(shown) - event.committed))
    return {
        "saves": len(events),
        "polls_after_save": sum(
            1 for event in events for poll in event.polls if poll[1] >= event.committed
        ),
        "stale_answers_after_save": len(stale),
        "stale_examples": stale[:10],
        "seen_after_ms": {
            "median": round(statistics.median(delays) * 1000, 1) if delays else None,
            "max": round(max(delays) * 1000, 1) if delays else None,
        },
        "never_seen": len(events) - len(delays),
        "save_ms": {
            "median": round(statistics.median(e.committed - e.sent for e in events) * 1000, 1)
            if events
            else None,
            "max": round(max(e.committed - e.sent for e in events) * 1000, 1) if events else None,
        },
    }


def scheduled_report(event: Event, live_at: float) -> dict:
    """Readers asking for the scheduled note's page and the home page around its time: when
    the first request made after its time was, whether it showed the note, and whether any
    answer before its time did (all times on the monotonic clock)."""
    early = [poll for poll in event.polls if poll[3] and poll[2] < live_at]
    # Made after its time (a margin for the clocks' reading): every one must show it.
    after = [poll for poll in event.polls if poll[1] >= live_at + 0.01]
    hidden_after = [poll for poll in after if not poll[3]]
    shown = sorted(poll[1] for poll in event.polls if poll[3])
    return {
        "polls": len(event.polls),
        "polls_before_its_time": sum(1 for poll in event.polls if poll[2] < live_at),
        "shown_before_its_time": len(early),
        # The first request that showed it was made this long after its time.
        "first_shown_request_after_s": round(shown[0] - live_at, 3) if shown else None,
        "first_shown_answer_after_s": round(
            min(poll[2] for poll in event.polls if poll[3]) - live_at, 3
        )
        if shown
        else None,
        "requests_after_its_time": len(after),
        "not_shown_after_its_time": len(hidden_after),
    }


def memory_report(start: dict[int, int], samples: list, began: float) -> dict:
    """VmRSS per worker: at start (before the warm-up), at second 10 and at the end."""
    if not samples:
        return {}
    at_ten = min(samples, key=lambda sample: abs(sample[0] - began - 10))[1]
    last = samples[-1][1]
    every_ten = [sizes for moment, sizes in samples if round(moment - began) % 10 == 0]
    workers = {}
    for pid, kilobytes in at_ten.items():
        end = last.get(pid)
        workers[str(pid)] = {
            "start_mb": round(start.get(pid, 0) / 1024, 1),
            "at_10s_mb": round(kilobytes / 1024, 1),
            "end_mb": round(end / 1024, 1) if end else None,
            "growth_pct": round((end - kilobytes) / kilobytes * 100, 1) if end else None,
            "every_10s_mb": [round(sizes[pid] / 1024) for sizes in every_ten if pid in sizes],
        }
    return {
        "workers": workers,
        "replaced_workers": sorted(set(last) ^ set(at_ten)),
        "max_growth_pct": max(
            (w["growth_pct"] for w in workers.values() if w["growth_pct"] is not None),
            default=None,
        ),
    }


def judge(report: dict) -> list[str]:
    failures = list(report["editor_failures"])
    errors = sum(report["socket_errors"].values())
    if errors:
        failures.append(f"{errors} socket errors: {report['socket_errors']}")
    if report["non_200"]:
        failures.append(f"{report['non_200']} answers were not 200: {report['non_200_statuses']}")
    stale = report["staleness"]
    if stale["saves"] < 3:
        failures.append(f"only {stale['saves']} saves were made")
    if stale["stale_answers_after_save"] or stale["never_seen"]:
        failures.append(
            f"{stale['stale_answers_after_save']} answers after a save did not show it, "
            f"{stale['never_seen']} saves never seen: {stale['stale_examples']}"
        )
    scheduled = report["scheduled"]
    first = scheduled["first_shown_request_after_s"]
    if first is None or first > 1.0:
        failures.append(f"the scheduled note was first shown to a request made {first} s after "
                        "its time (at most 1 s)")  # fmt: skip
    if scheduled["not_shown_after_its_time"]:
        failures.append(f"{scheduled['not_shown_after_its_time']} requests made after the "
                        "scheduled note's time did not show it")  # fmt: skip
    if scheduled["shown_before_its_time"]:
        failures.append(f"the scheduled note was shown {scheduled['shown_before_its_time']} times "
                        "before its time")  # fmt: skip
    if not scheduled["polls_before_its_time"]:
        failures.append("the scheduled note was not polled before its time")
    memory = report["memory"]
    if memory.get("replaced_workers"):
        failures.append(f"workers were replaced during the run: {memory['replaced_workers']}")
    growth = memory.get("max_growth_pct")
    if growth is None or growth >= 10:
        failures.append(f"a worker's memory grew by {growth} % between second 10 and the end")
    if report["log_errors"]:
        failures.append(f"{report['log_errors']} errors in gunicorn's log:\n{report['log_tail']}")
    return failures
