"""Run a program until SIGINT or SIGTERM; start-up failures become one clear line."""

import asyncio
import errno
import signal
from collections.abc import Awaitable, Callable

from aiokafka.errors import KafkaConnectionError

from brokers.factory import BrokerConfigError
from fragrance_ai.config_loader import SettingsError
from fragrance_ai.llm.errors import (
    BackendNotInstalledError,
    ModelsMissingError,
    QuantizationUnavailableError,
)
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


async def run_until_signalled(program: Program) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await program(stop)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
