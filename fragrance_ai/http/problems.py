"""Every error leaves the API as `application/problem+json` (RFC 9457)."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import orjson
import structlog
from aiohttp import web
from pydantic import BaseModel, ValidationError

from brokers.failures import is_transient
from schemas.http import FieldProblem, Problem

PROBLEM_JSON = "application/problem+json"
Model = TypeVar("Model", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = structlog.get_logger(__name__)
# What a client is told to wait when the database or the broker is briefly away (a
# restart, a failover): about the time a restart of either takes.
UNAVAILABLE_RETRY_AFTER_S = 5


def problem(
    status: int, title: str, detail: str | None = None, errors: list[FieldProblem] | None = None
) -> web.Response:
    body = Problem(title=title, status=status, detail=detail, errors=errors or [])
    return web.Response(
        status=status, body=body.model_dump_json(exclude_none=True), content_type=PROBLEM_JSON
    )


def validation_problem(exc: ValidationError) -> web.Response:
    errors = [
        FieldProblem(field=".".join(str(p) for p in e["loc"]) or "body", message=e["msg"])
        for e in exc.errors()
    ]
    return problem(422, "Invalid request body", f"{len(errors)} field(s) are invalid", errors)


class ProblemError(Exception):
    """Raised by a view to answer with a problem document."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.text)
        self.response = response


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


async def read_model(request: web.Request, model: type[Model], *, empty_ok: bool = False) -> Model:
    """The JSON body as `model`; ProblemError 415 for a body of another content type, 400
    for a body that is not JSON, 422 naming each invalid field. With `empty_ok`, no body
    at all means every default."""
    raw = await request.read()
    if raw and not is_json(request.content_type):
        raise ProblemError(
            problem(415, "Unsupported Media Type", "send the body as application/json")
        )
    try:
        body = orjson.loads(raw) if raw.strip() or not empty_ok else {}
    except orjson.JSONDecodeError as exc:
        raise ProblemError(problem(400, "Body is not JSON", str(exc))) from None
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ProblemError(validation_problem(exc)) from None


def unavailable() -> web.Response:
    response = problem(
        503,
        "Service unavailable",
        "the database or the broker is briefly unavailable: retry after Retry-After "
        "seconds (a POST sent again with the same Idempotency-Key is never done twice)",
    )
    response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_S)
    return response


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn aiohttp's HTTP errors and unexpected exceptions into problem documents."""
    try:
        return await handler(request)
    except ProblemError as exc:
        return exc.response
    except web.HTTPRequestEntityTooLarge as exc:
        return problem(413, "Request body too large", exc.text)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = problem(exc.status, exc.reason, exc.text if exc.text != exc.reason else None)
        if "Allow" in exc.headers:  # a 405 names the methods the route takes
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception as exc:
        if is_transient(exc):
            # The database or the broker restarting: the request may well succeed in a
            # moment, so the client is told so rather than given an internal error.
            log.warning("a dependency is briefly unavailable", path=request.path, error=repr(exc))
            return unavailable()
        log.exception("unhandled error", path=request.path)
        return problem(500, "Internal error", "the error was logged; the request can be retried")
