"""How a program stops: in steps bounded in time, and at once when asked twice.

The first SIGINT or SIGTERM sets the program's `stop` event and the program stops in
steps, each awaited through `bounded`, which names a step it abandons. A second signal,
or `shutdown.grace_s` running out, ends the process at once: the callbacks registered
with `at_forced_exit` end the children the program started, one line names the steps
still under way, and the process exits with status 1.

Signals are taken with `signal.signal`, not the event loop: a second Ctrl-C must still
work after the loop has finished, while the interpreter waits for a thread that will not
end. The forced exit runs on a thread of its own, so it works while the main one waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from faststream.kafka import KafkaBroker

log = structlog.get_logger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
FORCED_EXIT_STATUS = 1
# What a cancelled step is given to unwind before it is left behind.
_UNWIND_S = 1.0

_lock = threading.Lock()
_under_way: list[str] = []
_forced_exit_callbacks: list[Callable[[], None]] = []


async def bounded(work: Awaitable[object], what: str, within_s: float) -> bool:
    """Await `work` for at most `within_s`; past that, cancel it, say so and go on.

    False when the step was abandoned. The wait never depends on `work` honouring its
    cancellation: a client retrying against a broker that has gone may not.
    """
    task = asyncio.ensure_future(work)
    with _recorded(what):
        try:
            done, _ = await asyncio.wait({task}, timeout=within_s)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done:
            task.result()
            return True
        task.cancel()
        task.add_done_callback(_ignore_outcome)
        await asyncio.wait({task}, timeout=_UNWIND_S)
    log.warning("abandoned a step of stopping", step=what, after_s=within_s)
    return False


async def unless_stopped(work: Awaitable[object], stop: asyncio.Event) -> bool:
    """Await `work` unless `stop` is set first; then cancel it and return False."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not task.done():
            task.cancel()
            task.add_done_callback(_ignore_outcome)
    if not task.done():
        await asyncio.wait({task}, timeout=_UNWIND_S)
        return False
    task.result()
    return True


def _ignore_outcome(task: asyncio.Future[Any]) -> None:
    # Abandoned on purpose: whatever it ends with is no longer anyone's to report.
    if not task.cancelled():
        task.exception()


@contextmanager
def _recorded(what: str) -> Iterator[None]:
    with _lock:
        _under_way.append(what)
    try:
        yield
    finally:
        with _lock:
            _under_way.remove(what)


@contextmanager
def at_forced_exit(callback: Callable[[], None]) -> Iterator[None]:
    """Run `callback` (on another thread) if the process is forced to exit meanwhile."""
    with _lock:
        _forced_exit_callbacks.append(callback)
    try:
        yield
    finally:
        with _lock:
            _forced_exit_callbacks.remove(callback)


def quiet_kafka_clients() -> None:
    """Kafka clients left behind retry until the process exits; their errors say nothing new."""
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


class Stopping:
    """The process's answer to SIGINT and SIGTERM; `install()` once, from the main thread."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event, grace_s: float
    ) -> None:
        self._loop = loop
        self._stop = stop
        self._grace_s = grace_s
        self._began: float | None = None
        self._forced = threading.Event()

    @property
    def requested(self) -> bool:
        return self._began is not None

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)

    def stopped(self) -> None:
        """The one line that says the program has stopped."""
        began = self._began if self._began is not None else time.monotonic()
        log.info("stopped", after_s=round(time.monotonic() - began, 1))

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Runs between two bytecodes of whatever the main thread was doing: it only hands
        # work on, to the loop or to the thread that forces the exit.
        if self._began is not None:
            self._forced.set()
            return
        self._began = time.monotonic()
        threading.Thread(target=self._watch, name="forced-exit", daemon=True).start()
        try:
            self._loop.call_soon_threadsafe(self._begin, signal.Signals(signum).name)
        except RuntimeError:  # the loop has closed: nothing is left to stop gracefully
            self._forced.set()

    def _begin(self, signal_name: str) -> None:
        log.info("stopping", signal=signal_name, grace_s=self._grace_s, force="send it again")
        self._stop.set()

    def _watch(self) -> None:
        reason = "a second signal" if self._forced.wait(self._grace_s) else "grace ran out"
        with _lock:
            abandoned, callbacks = list(_under_way), list(_forced_exit_callbacks)
        log.warning(
            "forced exit",
            reason=reason,
            after_s=round(time.monotonic() - (self._began or 0.0), 1),
            abandoned=abandoned or ["the program's own stop"],
        )
        for callback in reversed(callbacks):
            try:
                callback()
            except Exception as exc:  # the exit goes ahead: say what was left
                log.error("could not end a child at forced exit", error=repr(exc))
        logging.shutdown()
        os._exit(FORCED_EXIT_STATUS)


async def close_kafka_clients(broker: KafkaBroker, settings: Any, owner: str) -> None:
    """Stop consuming, give a handler in flight its grace, then close consumers and
    producer, all within that grace and `shutdown.step_s`. A cluster that refuses
    connections gets no wait at all: its clients could only retry until cut off."""
    servers = str(settings.kafka.bootstrap_servers)
    within_s = float(settings.kafka.consumer.graceful_timeout_s) + float(settings.shutdown.step_s)
    if not await accepts_connections(servers):
        log.warning("Kafka refuses connections: its clients are left behind", servers=servers)
        quiet_kafka_clients()
        within_s = 0.0
    await bounded(broker.stop(), f"closing the Kafka clients of the {owner}", within_s)


async def accepts_connections(bootstrap_servers: str, timeout_s: float = 1.0) -> bool:
    """Whether any bootstrap server accepts a TCP connection (a broker that has exited
    refuses at once; one that hangs is left to the step's bound)."""
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        if not port.isdigit():
            return True  # an address this cannot read: leave the verdict to the bound
        try:
            async with asyncio.timeout(timeout_s):
                _, writer = await asyncio.open_connection(host.strip("[]"), int(port))
        except (OSError, TimeoutError):
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
    return False
