"""How an outage of a service (the database, Redis) is logged: once when a process first
meets it, reminded at most once a minute while it lasts, once when it is back: a few lines
per worker, not a traceback per request."""

from __future__ import annotations

import logging
import threading
import time

REMIND_EVERY_SECONDS = 60


def one_line(error: BaseException) -> str:
    # psycopg's and redis' messages run over several lines ("Is the server running…").
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


class Outage:
    """One service's outage as one process sees it; shared by threads."""

    def __init__(self, logger: logging.Logger, level: int, began: str, still: str, back: str):
        self.logger, self.level = logger, level
        self.messages = {"began": began, "still": still, "back": back}
        self.lock = threading.Lock()
        self.began: float | None = None
        self.reminded = 0.0
        self.count = 0

    @property
    def ongoing(self) -> bool:
        return self.began is not None

    def failed(self, error: BaseException, **values: object) -> None:
        """A failure: logged if the outage begins now or a reminder is due (``values`` fill
        the message besides the seconds, the count and the error)."""
        now = time.monotonic()
        with self.lock:
            self.count += 1
            if self.began is None:
                self.began = self.reminded = now
                message = self.messages["began"]
            elif now - self.reminded >= REMIND_EVERY_SECONDS:
                self.reminded = now
                message = self.messages["still"]
            else:
                return
            values.update(seconds=now - self.began, count=self.count, error=one_line(error))
        self.logger.log(self.level, message, values)

    def ended(self) -> bool:
        """The service answered: the outage, if there was one, is logged as over."""
        with self.lock:
            if self.began is None:
                return False
            values = {"seconds": time.monotonic() - self.began, "count": self.count}
            self.began, self.count = None, 0
        self.logger.warning(self.messages["back"], values)
        return True
