"""Every error leaves the API as `application/problem+json` (RFC 9457)."""

from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from pydantic import ValidationError

from schemas.http import FieldProblem, Problem

PROBLEM_JSON = "application/problem+json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = structlog.get_logger(__name__)


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


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn aiohttp's HTTP errors and unexpected exceptions into problem documents."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge as exc:
        return problem(413, "Request body too large", exc.text)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem(exc.status, exc.reason, exc.text if exc.text != exc.reason else None)
    except Exception:
        log.exception("unhandled error", path=request.path)
        return problem(500, "Internal error", "the error was logged; the request can be retried")
