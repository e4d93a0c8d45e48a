"""The API's two documents, as the code generates them and as `docs/` keeps them:
OpenAPI 3.1 from the HTTP route table, AsyncAPI 3.0 from FastStream's own generator over
every subscriber and publisher the programs declare. `make api-documents` rewrites the
kept copies; a unit test fails when they differ from what the code generates."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from dynaconf import Dynaconf
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from brokers.factory import make_broker
from brokers.topics import DEAD_LETTER_TOPIC, command_topic
from fragrance_ai.config_loader import load_settings
from fragrance_ai.http.openapi import openapi_document
from fragrance_ai.http.routes import ROUTES
from handlers import events, llm, rl, training
from schemas.messages import InterpretBrief, OptimizeFormula, TrainPolicy

# The compose file's Kafka: the document names a place, the settings pick the real one.
DOCUMENTED_SERVERS = "kafka:9092"
COMMANDS = {"llm": InterpretBrief, "rl": OptimizeFormula, "training": TrainPolicy}


def documented_broker(settings: Dynaconf) -> KafkaBroker:
    broker = make_broker(settings, DOCUMENTED_SERVERS)
    for module in (llm, rl, training, events):
        broker.include_router(module.build_router(settings, broker))
    # The API's outbox relay and the dead-letter middleware send with `broker.publish`;
    # these publishers are never started, they describe what those send.
    for role, command in COMMANDS.items():
        broker.publisher(
            command_topic(role),
            title=f"{command_topic(role)}:Api",
            description=f"The API's outbox relay sends `{command.__name__}`, keyed by job id",
            schema=command,
        )
    broker.publisher(
        DEAD_LETTER_TOPIC,
        title=f"{DEAD_LETTER_TOPIC}:Any",
        description="A message no subscriber could process, unchanged, with headers"
        " `dead_letter.reason`, `.topic`, `.partition` and `.offset`",
        schema=bytes,
    )
    return broker


def asyncapi_document() -> dict[str, Any]:
    settings = load_settings("development")
    spec = AsyncAPI(
        documented_broker(settings),
        title="Fragrance AI",
        version=str(openapi_document(ROUTES)["info"]["version"]),
        description="Commands to the workers and the events they answer with, all keyed by"
        " job id; each command role is one consumer group.",
        schema_version="3.0.0",
    )
    result: dict[str, Any] = orjson.loads(spec.to_specification().to_json())
    return result


DOCUMENTS: dict[str, Callable[[], dict[str, Any]]] = {
    "docs/openapi.json": lambda: openapi_document(ROUTES),
    "docs/asyncapi.json": asyncapi_document,
}


def rendered(document: dict[str, Any]) -> bytes:
    """Keys sorted: FastStream lists channels in an order that varies between processes."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def stale_documents(root: Path) -> list[str]:
    """The kept documents that differ from what the code generates."""
    return [
        name
        for name, generate in DOCUMENTS.items()
        if not (root / name).is_file() or (root / name).read_bytes() != rendered(generate())
    ]


def write_documents(root: Path) -> list[str]:
    for name, generate in DOCUMENTS.items():
        (root / name).write_bytes(rendered(generate()))
    return list(DOCUMENTS)
