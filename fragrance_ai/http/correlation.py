"""Bind a correlation id to every request's log lines and answer it in a header."""

import re
import uuid

import structlog
from aiohttp import web

from fragrance_ai.http.keys import CORRELATION_ID
from fragrance_ai.http.problems import Handler

HEADER = "X-Correlation-ID"
# Printable ASCII only: anything else is replaced, never stored or echoed.
_SUPPLIED = re.compile(r"^[\x21-\x7e]{1,128}$")


@web.middleware
async def correlation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    supplied = request.headers.get(HEADER, "")
    correlation_id = supplied if _SUPPLIED.fullmatch(supplied) else str(uuid.uuid4())
    request[CORRELATION_ID] = correlation_id
    with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
        response = await handler(request)
    response.headers[HEADER] = correlation_id
    return response
