"""The OpenAPI 3.1 document of the API, generated from its route table and pydantic models.

Bodies are described by the models the views parse (validation mode) and answer with
(serialization mode); security and error answers follow from each view's `requires` or
`public` mark, its path parameters and its body, the same facts the middlewares act on.

It is served at `/openapi.json`, open to every caller, with a `/docs` page to read it:
one static file that reads `/openapi.json` and loads nothing from elsewhere, so it works
where the API has no way out to the internet.
"""

from collections.abc import Iterable, Sequence
from importlib.metadata import version
from importlib.resources import files
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from fragrance_ai.http.auth import UNAUTHORIZED_DETAIL, is_public, public, required_scope
from fragrance_ai.http.keys import OPENAPI
from fragrance_ai.http.problems import PROBLEM_JSON
from fragrance_ai.http.route import Answer, Route
from fragrance_ai.http.sse import EVENT_NUMBER_PATTERN
from schemas.http import Problem
from schemas.jobs import JobKind

OPENAPI_VERSION = "3.1.0"
SCHEMAS = "#/components/schemas/{model}"
KEYED: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
EVENT_NUMBER = {"type": "string", "pattern": EVENT_NUMBER_PATTERN}

DESCRIPTION = f"""\
Brief text in, perfume formula out, through queued jobs.

Every route but `/health`, `/ready`, `/openapi.json` and `/docs` needs an API key
(`fragrance-ai keys create`): {UNAUTHORIZED_DETAIL}. Errors are
`application/problem+json` (RFC 9457). A method a path does not take is answered 405
with `Allow` naming those it does. Where rate limits are on, every answer to a keyed
request carries `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers);
past the limit, or with its tenant at a cap, it is 429 with `Retry-After`."""

PROBLEMS: dict[int, str] = {
    400: "The body is not JSON, or a header or query parameter is malformed",
    401: "No key, or a malformed, unknown or revoked one: the same answer for each",
    403: "The key lacks the scope this route requires, or a training run is larger than "
    "the tenant's caps (each field named)",
    404: "No such job, or a job of another tenant",
    405: "The path does not take this method",
    409: "The job is not in a state that allows this",
    413: "The body is larger than `api.max_body_bytes`",
    415: "The body is not `application/json`",
    422: "A field is invalid (each is named), or the Idempotency-Key was used with another request",
    429: "The key's rate limit is spent, or its tenant is at a cap (jobs in flight, open "
    "event streams): retry after `Retry-After` seconds",
    503: "The database or the broker is briefly unavailable (a restart): retry after "
    "`Retry-After` seconds",
}
PROBLEM_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
    405: {"Allow": {"schema": {"type": "string"}, "required": True}},
    429: {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "required": True}},
    503: {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "required": True}},
}
PARAMETERS: dict[str, dict[str, Any]] = {
    "JobId": {
        "name": "job_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
        "description": "The job id, as the 202 that accepted it answered",
    },
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
        "description": "Sent again with the same body, the first answer comes back"
        " (`Idempotent-Replayed: true`); kept 24 hours",
    },
    "Limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        "description": "How many jobs, newest first",
    },
    "Kind": {
        "name": "kind",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": [kind.value for kind in JobKind]},
        "description": "Only jobs of this kind",
    },
    "LogJobId": {
        "name": "job_id",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "uuid"},
        "description": "Only the records of this job",
    },
    "LogService": {
        "name": "service",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Only this service's records (`worker` matches every worker)",
    },
    "LastEventId": {
        "name": "Last-Event-ID",
        "in": "header",
        "required": False,
        "schema": EVENT_NUMBER,
        "description": "Resume after this event number (an event's `id`)",
    },
    "LastEventIdQuery": {
        "name": "last_event_id",
        "in": "query",
        "required": False,
        "schema": EVENT_NUMBER,
        "description": "The same as `Last-Event-ID`, for clients that cannot set headers",
    },
}


def models_of(routes: Iterable[Route]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Problem, "serialization")]
    for route in routes:
        if route.body is not None:
            wanted.append((route.body, "validation"))
        wanted.extend((a.model, "serialization") for a in route.answers if a.model is not None)
    return list(dict.fromkeys(wanted))


def answer_object(answer: Answer, refs: dict[Any, Any]) -> dict[str, Any]:
    if answer.model is None:
        schema: dict[str, Any] = {"type": "string"}
    elif answer.media_type == "text/event-stream":
        # The schema of one event (its `id`, `event` and `data` fields), as OpenAPI 3.2's
        # `itemSchema` has it; `data` is a JSON text of the model.
        data = {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": refs[(answer.model, "serialization")],
        }
        schema = {
            "type": "object",
            "properties": {"id": {"type": "string"}, "event": {"type": "string"}, "data": data},
            "required": ["id", "event", "data"],
        }
    else:
        schema = refs[(answer.model, "serialization")]
    described: dict[str, Any] = {
        "description": answer.description,
        "content": {answer.media_type: {"schema": schema}},
    }
    if answer.headers:
        described["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in answer.headers.items()
        }
    return described


def error_statuses(route: Route) -> list[int]:
    """The problem answers a route can give, from the facts the middlewares act on."""
    statuses = set()
    if not is_public(route.view):
        statuses |= {401, 429, 503}  # the key is checked in the database
    if required_scope(route.view) is not None:
        statuses.add(403)
    if "{job_id}" in route.path:
        statuses.add(404)
    if route.method == "POST":  # a malformed Idempotency-Key, or one used with another body
        statuses |= {400, 422}
    if route.body is not None:
        statuses |= {400, 413, 415, 422}
    if route.parameters:
        statuses.add(400)
    if route.conflicts is not None:
        statuses.add(409)
    return sorted(statuses)


def operation(route: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    parameters = [*route.parameters]
    if "{job_id}" in route.path:
        parameters.insert(0, "JobId")
    if route.method == "POST":
        parameters.append("IdempotencyKey")
    responses: dict[str, Any] = {str(a.status): answer_object(a, refs) for a in route.answers}
    for status in error_statuses(route):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/{status}"})
    described: dict[str, Any] = {
        "operationId": route.view.__name__,
        "summary": route.summary,
        "tags": [route.tag],
        "security": [] if is_public(route.view) else KEYED,
    }
    notes = []
    if (scope := required_scope(route.view)) is not None:
        notes.append(f"Needs a key with the `{scope.value}` scope (or `admin`).")
    if route.conflicts is not None:
        notes.append(f"409 {route.conflicts}.")
    if notes:
        described["description"] = " ".join(notes)
    if parameters:
        described["parameters"] = [{"$ref": f"#/components/parameters/{p}"} for p in parameters]
    if route.body is not None:
        described["requestBody"] = {
            "required": route.body_required,
            "content": {"application/json": {"schema": refs[(route.body, "validation")]}},
        }
    described["responses"] = responses
    return described


def problem_responses(problem_ref: dict[str, Any]) -> dict[str, Any]:
    return {
        str(status): {
            "description": description,
            "content": {PROBLEM_JSON: {"schema": problem_ref}},
            **({"headers": PROBLEM_HEADERS[status]} if status in PROBLEM_HEADERS else {}),
        }
        for status, description in PROBLEMS.items()
    }


def openapi_document(routes: Sequence[Route]) -> dict[str, Any]:
    refs, definitions = models_json_schema(models_of(routes), ref_template=SCHEMAS)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = operation(route, refs)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Fragrance AI",
            "version": version("fragrance-ai"),
            "description": DESCRIPTION,
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "responses": problem_responses(refs[(Problem, "serialization")]),
            "parameters": PARAMETERS,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }


DOCS_PAGE = files("fragrance_ai.http").joinpath("static/docs.html").read_bytes()


@public
async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI], content_type="application/json")


@public
async def docs_page(request: web.Request) -> web.Response:
    return web.Response(body=DOCS_PAGE, content_type="text/html", charset="utf-8")
