"""`GET /v1/jobs/{id}/events`: stored events first, then live ones, as Server-Sent Events."""

import asyncio
import contextlib
import re
from uuid import UUID

from aiohttp import web
from aiohttp_sse import EventSourceResponse, sse_response

from fragrance_ai.http.auth import principal
from fragrance_ai.http.keys import EVENT_FEED, STREAMS
from fragrance_ai.http.quotas import event_stream_slot
from fragrance_ai.http.views import event_for, owned_job, parse_job_id
from fragrance_ai.store import ApiKey
from schemas.http import StreamedEvent

# An event number: ASCII digits (str.isdigit() also takes '²'); nine of them stay within
# PostgreSQL's integer, and no job has a billion events.
EVENT_NUMBER_PATTERN = "^[0-9]{1,9}$"
_EVENT_NUMBER = re.compile(EVENT_NUMBER_PATTERN)


def parse_last_event_id(request: web.Request) -> int:
    """The header, else the query parameter; each one sent must be an event number."""
    sent = [
        raw
        for raw in (request.headers.get("Last-Event-ID"), request.query.get("last_event_id"))
        if raw is not None
    ]
    for raw in sent:
        if not _EVENT_NUMBER.fullmatch(raw):
            shown = raw[:32].encode("ascii", "backslashreplace").decode()
            raise web.HTTPBadRequest(
                text="Last-Event-ID must be an event number of 1 to 9 digits,"
                f" not {shown!r}" + ("..." if len(raw) > 32 else "")
            )
    return int(sent[0]) if sent else 0


async def stream_job_events(request: web.Request) -> web.StreamResponse:
    job_id = parse_job_id(request)
    after = parse_last_event_id(request)
    unfinished = not (await owned_job(request, job_id)).status.is_terminal
    key = principal(request)
    async with event_stream_slot(request, key.tenant), sse_response(request) as response:
        request.app[STREAMS].add(response)
        forwarding = asyncio.create_task(
            forward_events(request, response, job_id, after, key, unfinished)
        )
        # The stream ends when its events do, or when the response stops streaming: the
        # client went away, or the server is shutting down (`stop_streaming`), which
        # must not wait out aiohttp's shutdown timeout for a feed that never ends.
        stopped = asyncio.create_task(response.wait())
        await asyncio.wait({forwarding, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (forwarding, stopped):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await forwarding
    return response


async def forward_events(
    request: web.Request,
    response: EventSourceResponse,
    job_id: UUID,
    after: int,
    key: ApiKey,
    unfinished: bool,
) -> None:
    # A client that goes away ends its stream; resuming is what Last-Event-ID is for.
    with contextlib.suppress(ConnectionResetError):
        async for event in request.app[EVENT_FEED].follow(job_id, after, unfinished):
            payload = event_for(key, event.type, event.payload)
            data = StreamedEvent.model_validate(
                {"seq": event.seq, "type": event.type, "at": event.created_at, **payload}
            )
            await response.send(data.model_dump_json(), id=str(event.seq), event=event.type)
