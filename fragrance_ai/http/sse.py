"""`GET /v1/jobs/{id}/events`: stored events first, then live ones, as Server-Sent Events."""

import contextlib
import re

from aiohttp import web
from aiohttp_sse import sse_response

from fragrance_ai.http.auth import principal
from fragrance_ai.http.disclosure import event_for
from fragrance_ai.http.keys import EVENT_FEED, STREAMS
from fragrance_ai.http.views import owned_job, parse_job_id
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
    await owned_job(request, job_id)
    key = principal(request)
    async with sse_response(request) as response:
        request.app[STREAMS].add(response)
        # A client that goes away ends its stream; resuming is what Last-Event-ID is for.
        with contextlib.suppress(ConnectionResetError):
            async for event in request.app[EVENT_FEED].follow(job_id, after):
                payload = event_for(key, event.type, event.payload)
                data = StreamedEvent.model_validate(
                    {"seq": event.seq, "type": event.type, "at": event.created_at, **payload}
                )
                await response.send(data.model_dump_json(), id=str(event.seq), event=event.type)
    return response
