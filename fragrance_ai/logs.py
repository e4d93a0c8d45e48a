"""structlog for the whole process: readable console lines or one JSON object per line.

Our own loggers and the standard-library ones of aiokafka, aiohttp.access and faststream
go through the same processors, so every line carries the ``job_id`` and
``correlation_id`` bound in the current context (contextvars, merged first).

Libraries get a level of their own (``log.library_level``, WARNING by default): at INFO,
aiokafka alone writes hundreds of lines about group joins and metadata before the API
listens, which buries ours. Console lines show the time of day only; JSON lines keep the
full UTC timestamp that log stores sort by.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal

import orjson
import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import Processor

LogFormat = Literal["console", "json"]
JOB_KEYS = ("job_id", "correlation_id")
_HANDLER_NAME = "fragrance_ai"
# Libraries that install a handler of their own at import and stop propagation.
_SELF_HANDLED_LOGGERS = ("faststream",)
# Library warnings about what this project does on purpose, dropped at any level:
# allow_auto_create_topics is off because `create_topics` makes every topic, with its
# partition count, before a subscriber starts, yet FastStream warns once per subscriber.
EXPECTED_LIBRARY_WARNINGS = frozenset(
    {"Auto create topics is disabled. Make sure the topics exist."}
)
# The top-level packages of this project; every other logger is a library's.
OUR_PACKAGES = ("fragrance_ai", "brokers", "handlers", "settings", "scripts")


def _orjson_text(obj: Any, **_: Any) -> str:
    # Logging handlers write text; orjson returns bytes.
    return orjson.dumps(obj, default=str).decode()


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.StackInfoRenderer(),
    ]


def _timestamper(fmt: LogFormat) -> Processor:
    # Stamped by each formatter, not once for all: one record goes to the console with
    # the time of day and to the log topic (brokers/log_shipping.py) with the full time.
    if fmt == "console":
        return structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=False)
    return structlog.processors.TimeStamper(fmt="iso", utc=True)


def _numeric_level(level: str) -> int:
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        raise ValueError(f"log level must be one of DEBUG, INFO, WARNING, ERROR, not {level!r}")
    return numeric_level


def is_ours(logger_name: str) -> bool:
    top = logger_name.partition(".")[0]
    return top in OUR_PACKAGES


class LibraryLevelFilter(logging.Filter):
    """Lets a library's record through only from ``level`` up; ours pass untouched."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if is_ours(record.name):
            return True
        return record.levelno >= self.level and record.getMessage() not in EXPECTED_LIBRARY_WARNINGS


def _renderer(fmt: LogFormat) -> list[Processor]:
    # Tracebacks name files, lines and the exception, never a frame's local variables:
    # those hold briefs, API keys and connection strings.
    if fmt == "json":
        tracebacks = ExceptionDictTransformer(show_locals=False)
        return [
            structlog.processors.ExceptionRenderer(tracebacks),
            structlog.processors.JSONRenderer(serializer=_orjson_text),
        ]
    if fmt == "console":
        return [
            structlog.dev.ConsoleRenderer(
                colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
            )
        ]
    raise ValueError(f"log format must be 'console' or 'json', not {fmt!r}")


def record_formatter(fmt: LogFormat) -> logging.Formatter:
    """Renders standard-library and structlog records alike, as console text or JSON."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _timestamper(fmt),
            *_renderer(fmt),
        ],
    )


def configure_logging(
    level: str = "INFO", fmt: LogFormat = "console", library_level: str | None = None
) -> None:
    """Route structlog and the standard library through one handler on stderr; records of
    other packages' loggers below ``library_level`` (default: ``level``) are dropped."""
    numeric_level = _numeric_level(level)
    libraries_from = _numeric_level(library_level) if library_level else numeric_level
    formatter = record_formatter(fmt)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    handler.addFilter(LibraryLevelFilter(libraries_from))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    for name in _SELF_HANDLED_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
        library_logger.setLevel(logging.NOTSET)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def current_job_context() -> dict[str, str]:
    """The job keys bound right now (a publisher copies them into message headers)."""
    bound = structlog.contextvars.get_contextvars()
    return {key: str(bound[key]) for key in JOB_KEYS if bound.get(key) is not None}
