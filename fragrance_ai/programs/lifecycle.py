"""Run a program until SIGINT or SIGTERM; start-up failures become one clear line."""

import asyncio
import errno
from collections.abc import Awaitable, Callable

from aiokafka.errors import KafkaConnectionError

from brokers.factory import BrokerConfigError
from fragrance_ai.config_loader import SettingsError
from fragrance_ai.llm.errors import (
    BackendNotInstalledError,
    ModelsMissingError,
    QuantizationUnavailableError,
)
from fragrance_ai.programs.stopping import Stopping
from fragrance_ai.store import DatabaseUnavailableError, MigrationError

Program = Callable[[asyncio.Event], Awaitable[None]]


class StartupError(RuntimeError):
    """A dependency or setting the program needs is missing or unreachable."""


STARTUP_ERRORS = (
    StartupError,
    SettingsError,
    BrokerConfigError,
    DatabaseUnavailableError,
    MigrationError,
    ModelsMissingError,
    QuantizationUnavailableError,
    BackendNotInstalledError,
)


def explain(exc: BaseException) -> str | None:
    """One line for the start-up failures a user can fix, None for anything else."""
    if isinstance(exc, STARTUP_ERRORS):
        return str(exc)
    if isinstance(exc, KafkaConnectionError):
        return f"cannot reach the Kafka broker: {exc}"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return f"address already in use: {exc.strerror}"
    return None


async def run_until_signalled(program: Program, grace_s: float) -> None:
    """Run `program` until it returns; SIGINT or SIGTERM asks it to stop, a second signal
    or `grace_s` past the first ends the process (see `stopping`)."""
    stop = asyncio.Event()
    stopping = Stopping(asyncio.get_running_loop(), stop, grace_s)
    # Left installed when the program returns: a Ctrl-C while the interpreter winds down
    # still forces the exit.
    stopping.install()
    await program(stop)
    if stopping.requested:
        stopping.stopped()
