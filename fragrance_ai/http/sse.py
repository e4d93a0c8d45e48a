"""`GET /v1/jobs/{id}/events`: stored events first, then live ones, as Server-Sent Events."""

import contextlib

import orjson
from aiohttp import web
from aiohttp_sse import sse_response

from fragrance_ai.http.keys import EVENT_FEED, STORE, STREAMS
from fragrance_ai.http.views import parse_job_id
from fragrance_ai.store import JobNotFoundError


def parse_last_event_id(request: web.Request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.query.get("last_event_id") or "0"
    if not raw.isdigit():
        raise web.HTTPBadRequest(text=f"Last-Event-ID must be an event number, not {raw!r}")
    return int(raw)


async def stream_job_events(request: web.Request) -> web.StreamResponse:
    job_id = parse_job_id(request)
    after = parse_last_event_id(request)
    try:
        await request.app[STORE].get_job(job_id)
    except JobNotFoundError:
        raise web.HTTPNotFound(text=f"no job {job_id}") from None
    async with sse_response(request) as response:
        request.app[STREAMS].add(response)
        # A client that goes away ends its stream; resuming is what Last-Event-ID is for.
        with contextlib.suppress(ConnectionResetError):
            async for event in request.app[EVENT_FEED].follow(job_id, after):
                data = orjson.dumps(
                    {"seq": event.seq, "type": event.type, "at": event.created_at, **event.payload}
                ).decode()
                await response.send(data, id=str(event.seq), event=event.type)
    return response
