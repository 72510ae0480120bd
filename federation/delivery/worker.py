"""Sending what the queue holds: sign, POST, and decide what each answer means.

One attempt of one item (`Sender.send`):

- the host's domain policy says "reject" → failed, never sent;
- POST the canonical JSON, signed by the item's signer in the format the host last
  accepted (draft-cavage by default); a 401 or 400 answer → at once once more in the other
  format (double knocking, as Fedify does), and the host's format is remembered when that
  works;
- 2xx → delivered; 410 Gone, other 4xx (after the double knock), a redirect we may not
  follow, an address we may not reach → failed for good; 401 after both formats (the peer
  may still be fetching our key), 408, 429 (Retry-After honoured), 5xx, timeouts and
  refused connections → retried with backoff, and the last four count against the host
  (paused after a few in a row).

`DeliveryWorker` runs attempts on a few threads, claiming as many items as it has free
threads, so that a slow host never holds up the others (the queue's per-host limit keeps
any one host from taking every thread). Several workers, in several processes or
machines, can share one queue.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from queue import Empty, Queue

from federation.delivery import backoff
from federation.delivery.base import Delivery, DeliveryQueue
from federation.delivery.signing import KeyRing
from federation.safe_fetch import (
    BlockedAddress,
    FetchError,
    FetchResponse,
    InvalidURL,
    TooManyRedirects,
    safe_post,
)

logger = logging.getLogger(__name__)
_ERRNO = re.compile(r"\[Errno -?\d+\][^\"')]*")

AP_JSON = "application/activity+json"
TIME_LIMIT = 10.0
POLL_SECONDS = 2.0
PRUNE_EVERY = 3600.0
FORMATS = ("cavage", "rfc9421")

DomainPolicy = Callable[[str], str | None]


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to: delivered, retry, host-down (a retry that counts against
    the host), failed or refused (domain policy)."""

    outcome: str
    status: int | None = None
    detail: str = ""
    wait: float | None = None


class Sender:
    def __init__(self, queue: DeliveryQueue, keys: KeyRing, allow_private: bool = False,
                 domain_policy: DomainPolicy | None = None,
                 time_limit: float = TIME_LIMIT) -> None:
        self.queue = queue
        self.keys = keys
        self.allow_private = allow_private
        self.domain_policy = domain_policy
        self.time_limit = time_limit

    def send(self, item: Delivery) -> Attempt:
        """One attempt, its outcome recorded in the queue; never raises."""
        try:
            attempt = self._attempt(item)
        except Exception as error:  # a worker must outlive any one item
            logger.exception("delivery of %s to %s failed unexpectedly", item.activity_id,
                             item.inbox)
            attempt = Attempt("retry", None, f"{type(error).__name__}: {error}")
        try:
            self._record(item, attempt)
        except Exception:
            logger.exception("could not record the delivery of %s to %s", item.activity_id,
                             item.inbox)
        return attempt

    def _attempt(self, item: Delivery) -> Attempt:
        if self.domain_policy is not None and self.domain_policy(item.host) == "reject":
            return Attempt("refused", None, "the instance rejects this domain")
        try:
            self.keys.key(item.signer)
        except Exception as error:
            return Attempt("failed", None, f"no signing key for {item.signer}: {error}")
        first = self.queue.signature_format(item.host) or "cavage"
        try:
            response = self._post(item, first)
            if response.status_code in (400, 401):
                other = FORMATS[1 - FORMATS.index(first)] if first in FORMATS else "rfc9421"
                second = self._post(item, other)
                if second.ok:
                    self.queue.remember_format(item.host, other)
                response = second
        except (BlockedAddress, InvalidURL, TooManyRedirects) as error:
            return Attempt("failed", None, f"{type(error).__name__}: {error}")
        except FetchError as error:
            return Attempt("host-down", None, f"{type(error).__name__}: {_reason(error)}")
        return _classify(response)

    def _post(self, item: Delivery, format: str) -> FetchResponse:
        def sign(method: str, url: str, headers: dict[str, str],
                 body: bytes | None) -> dict[str, str]:
            return self.keys.headers(item.signer, format, method, url, headers, body)

        return safe_post(item.inbox, item.body, headers={"Content-Type": AP_JSON,
                                                         "Accept": AP_JSON},
                         allow_private=self.allow_private, sign=sign,
                         read_timeout=self.time_limit, total_timeout=self.time_limit)

    def _record(self, item: Delivery, attempt: Attempt) -> None:
        queue = self.queue
        if attempt.outcome == "delivered":
            queue.delivered(item)
        elif attempt.outcome in ("failed", "refused"):
            queue.failed(item, attempt.detail)
        else:
            if attempt.outcome == "host-down":
                failures = queue.host_failures(item.host) + 1
                queue.host_failed(item.host, attempt.detail, backoff.host_pause(failures))
            delay = backoff.retry_delay(item.attempts)
            if attempt.wait is not None:
                delay = max(delay, attempt.wait)
            queue.retry_later(item, attempt.detail, delay)


def _classify(response: FetchResponse) -> Attempt:
    status = response.status_code
    said = response.text[:200].strip().replace("\n", " ")
    detail = f"HTTP {status}" + (f": {said}" if said else "")
    if 200 <= status < 300:
        return Attempt("delivered", status)
    if status == 429:
        wait = _retry_after(response.headers.get("retry-after"))
        if wait is not None:
            return Attempt("retry", status, detail, wait=min(wait, 86400.0))
        return Attempt("host-down", status, detail)
    if status >= 500 or status == 408:
        return Attempt("host-down", status, detail)
    if status == 401:
        return Attempt("retry", status, detail)
    return Attempt("failed", status, detail)


def _reason(error: Exception) -> str:
    """The gist of a connection error ("[Errno 111] Connection refused"), not urllib3's
    whole chain of wrappers."""
    text = str(error)
    found = _ERRNO.search(text)
    return found.group(0).strip() if found else text[:300]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def deliver_due(queue: DeliveryQueue, sender: Sender, limit: int = 100) -> int:
    """Sends what is due now, one at a time in this thread; returns how many were
    delivered (tests, and instances without a worker thread)."""
    done = 0
    while limit > 0:
        items = queue.claim(min(limit, 16))
        if not items:
            break
        limit -= len(items)
        done += sum(sender.send(item).outcome == "delivered" for item in items)
    return done


class DeliveryWorker:
    """Claims due items and sends them on `concurrency` threads until stopped.

    Plain daemon threads and a hand-off queue rather than a ThreadPoolExecutor: at
    interpreter exit, executors are shut down before `atexit` handlers run, which would
    strand claimed items (held until their claims lapse, blocking their host's slots)."""

    def __init__(self, queue: DeliveryQueue, sender: Sender, concurrency: int = 8,
                 poll: float = POLL_SECONDS, name: str = "communecter-delivery",
                 while_: Callable[[], bool] | None = None) -> None:
        """`while_` (optional): the worker ends by itself once it returns False (the
        instance's data directory is gone, say)."""
        self.queue = queue
        self.while_ = while_
        self.sender = sender
        self.concurrency = concurrency
        self.poll = poll
        self.name = name
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._slots = threading.Semaphore(concurrency)
        self._handoff: Queue[Delivery | None] = Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._senders = [threading.Thread(target=self._send_loop, name=f"{name}-send-{n}",
                                          daemon=True) for n in range(concurrency)]
        self._last_prune = 0.0

    def start(self) -> DeliveryWorker:
        for thread in self._senders:
            thread.start()
        self._thread.start()
        return self

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def wake(self) -> None:
        """Look at the queue now (this process just enqueued something)."""
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        """Stops claiming; lets the attempts in flight finish and be recorded (up to
        `timeout`) and gives back what was claimed but not started, so that a graceful
        stop neither posts anything twice nor holds items until their claims lapse."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        self._thread.join(max(deadline - time.monotonic(), 0))
        for _ in self._senders:
            self._handoff.put(None)
        for thread in self._senders:
            thread.join(max(deadline - time.monotonic(), 0))
        while True:
            try:
                item = self._handoff.get_nowait()
            except Empty:
                break
            if item is not None:
                try:
                    self.queue.release(item)
                except Exception as error:
                    logger.warning("delivery worker: could not release %s: %s", item.key,
                                   error)

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self.while_ is not None and not self.while_():
                self._stopping.set()
                for _ in self._senders:
                    self._handoff.put(None)
                return
            try:
                claimed = self._claim_some()
            except Exception as error:  # the worker must outlive hiccups of its backend
                logger.warning("delivery worker: %s", error)
                claimed = 0
            if claimed or self._stopping.is_set():
                continue
            self._prune()
            self._wait()

    def _claim_some(self) -> int:
        """Claims as many items as there are free sending threads (waiting for one)."""
        if not self._slots.acquire(timeout=min(self.poll, 0.25)):
            return 0
        free = 1
        while free < self.concurrency and self._slots.acquire(blocking=False):
            free += 1
        items: list[Delivery] = []
        try:
            if not self._stopping.is_set():
                items = self.queue.claim(free)
        finally:
            for _ in range(free - len(items)):
                self._slots.release()
        for item in items:
            self._handoff.put(item)
        return len(items)

    def _send_loop(self) -> None:
        while True:
            item = self._handoff.get()
            if item is None:
                return
            if self._stopping.is_set():
                self._handoff.put(item)  # stop() gives it back unsent
                return
            try:
                self.sender.send(item)
            finally:
                self._slots.release()
                self._wake.set()

    def _wait(self) -> None:
        try:
            due = self.queue.next_due()
        except Exception:
            due = None
        wait = self.poll if due is None else min(max(due - time.time(), 0.02), self.poll)
        self._wake.wait(wait)
        self._wake.clear()

    def _prune(self) -> None:
        now = time.time()
        if now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        try:
            self.queue.prune(now)
        except Exception as error:
            logger.warning("delivery worker: pruning failed: %s", error)
