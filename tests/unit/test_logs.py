"""Logging: job keys on every line, JSON that parses, library loggers rendered alike."""

import logging
import re
from collections.abc import Iterator

import orjson
import pytest
import structlog
from structlog.testing import capture_logs

from fragrance_ai.logs import LogFormat, configure_logging, current_job_context


@pytest.fixture(autouse=True)
def reset_logging() -> Iterator[None]:
    root_level = logging.getLogger().level
    yield
    logging.getLogger().setLevel(root_level)
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "fragrance_ai"]:
        root.removeHandler(handler)


def json_lines(text: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


def test_events_are_captured_with_their_fields() -> None:
    configure_logging("INFO", "console")
    with capture_logs() as logs:
        structlog.get_logger("test").info("formula_optimized", score=0.91)
    assert logs == [{"event": "formula_optimized", "score": 0.91, "log_level": "info"}]


def test_json_lines_carry_the_bound_job_keys(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    structlog.contextvars.bind_contextvars(job_id="job-1", correlation_id="corr-1")
    structlog.get_logger("fragrance_ai.test").info("brief_interpreted", family="citrus")
    [line] = json_lines(capsys.readouterr().err)
    assert line["event"] == "brief_interpreted"
    assert line["job_id"] == "job-1"
    assert line["correlation_id"] == "corr-1"
    assert line["level"] == "info"
    assert line["logger"] == "fragrance_ai.test"
    assert "timestamp" in line


def test_library_loggers_are_rendered_as_json_with_job_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    with structlog.contextvars.bound_contextvars(job_id="job-2"):
        logging.getLogger("aiokafka").warning("lost connection to %s", "broker", extra={"node": 1})
    [line] = json_lines(capsys.readouterr().err)
    assert line == line | {"event": "lost connection to broker", "logger": "aiokafka"}
    assert line["job_id"] == "job-2"
    assert line["node"] == 1
    assert line["level"] == "warning"


def test_exceptions_become_structured_tracebacks(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    try:
        raise ValueError("budget too low")
    except ValueError:
        structlog.get_logger().exception("job_failed")
    [line] = json_lines(capsys.readouterr().err)
    assert line["exception"][0]["exc_value"] == "budget too low"  # type: ignore[index]


def test_level_filters_debug_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING", "json")
    structlog.get_logger().info("quiet")
    logging.getLogger("faststream").info("quiet too")
    structlog.get_logger().error("loud")
    assert [line["event"] for line in json_lines(capsys.readouterr().err)] == ["loud"]


def test_console_lines_are_text_with_the_job_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "console")
    with structlog.contextvars.bound_contextvars(job_id="job-3"):
        structlog.get_logger().info("job_queued")
    err = capsys.readouterr().err
    assert "job_queued" in err
    assert "job_id=job-3" in err
    assert not err.lstrip().startswith("{")


def test_the_job_context_is_the_job_keys_bound_now() -> None:
    structlog.contextvars.bind_contextvars(job_id="outer", correlation_id="c-outer", stage="x")
    with structlog.contextvars.bound_contextvars(job_id="inner"):
        assert current_job_context() == {"job_id": "inner", "correlation_id": "c-outer"}
    assert current_job_context() == {"job_id": "outer", "correlation_id": "c-outer"}
    structlog.contextvars.clear_contextvars()
    assert current_job_context() == {}


def test_configuring_twice_keeps_one_handler(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    configure_logging("INFO", "json")
    structlog.get_logger().info("once")
    assert len(json_lines(capsys.readouterr().err)) == 1


@pytest.mark.parametrize(("level", "fmt"), [("LOUD", "json"), ("INFO", "xml")])
def test_bad_level_or_format_is_named(level: str, fmt: str) -> None:
    with pytest.raises(ValueError, match=repr(level if level == "LOUD" else fmt)):
        configure_logging(level, fmt)  # type: ignore[arg-type]


def test_faststream_lines_leave_its_own_handler_for_ours(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import faststream  # noqa: F401  (installs FastStream's handler on import)

    configure_logging("INFO", "json")
    logging.getLogger("faststream.kafka").info("Received", extra={"topic": "fragrance.events"})
    [line] = json_lines(capsys.readouterr().err)
    assert line["event"] == "Received"
    assert line["topic"] == "fragrance.events"
    assert capsys.readouterr().out == ""


def _fail_with_a_secret_local() -> None:
    brief_text = "canary-brief-7f3a: an oud for a sultan"
    database_url = "postgresql://app:canary-password-91c2@db/fragrance"
    raise RuntimeError(f"failed after {len(brief_text) + len(database_url)} characters")


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_tracebacks_carry_no_local_variables(
    capsys: pytest.CaptureFixture[str], fmt: LogFormat
) -> None:
    configure_logging("INFO", fmt)
    try:
        _fail_with_a_secret_local()
    except RuntimeError:
        structlog.get_logger("fragrance_ai.test").exception("request failed")
    err = capsys.readouterr().err
    assert "_fail_with_a_secret_local" in err  # the traceback is there, frame by frame
    assert "canary-brief-7f3a" not in err
    assert "canary-password-91c2" not in err


def test_library_chatter_is_held_to_the_library_level(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json", library_level="WARNING")
    logging.getLogger("aiokafka.consumer.group_coordinator").info("joined group")
    logging.getLogger("aiokafka").warning("lost connection")
    structlog.get_logger("fragrance_ai.programs.dev").info("embedded broker started")
    events = [line["event"] for line in json_lines(capsys.readouterr().err)]
    assert events == ["lost connection", "embedded broker started"]


def test_console_lines_show_the_time_of_day_only(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "console")
    structlog.get_logger("fragrance_ai.test").info("job_queued")
    line = capsys.readouterr().err.strip()
    assert re.match(r"^\d\d:\d\d:\d\d \[info", line), line
