"""A client of a running API: jobs, training runs and their event streams, for the CLI.

Every failure a user can meet (no key, a refused key, a job that is not there, an API
that does not answer) becomes one `ApiError` whose message is a single sentence naming
what to do; the caller prints it and nothing else.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import aiohttp
import orjson
from dynaconf import Dynaconf

from schemas.jobs import JobList, JobSummary, JobView

KEY_HINT = "set FRAGRANCE_API_KEY (`make dev` prints one; `fragrance-ai keys create` makes one)"
# Reading an event stream waits as long as the job runs; only connecting is bounded.
STREAM_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=10, sock_connect=10)
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


class ApiError(Exception):
    """A request that did not get the answer it asked for; the message is one line."""


@dataclass(frozen=True)
class ServerEvent:
    """One Server-Sent Event of a job: its number, type and data."""

    seq: int
    type: str
    data: dict[str, Any]


def api_url(settings: Dynaconf) -> str:
    """`client.api_url` (FRAGRANCE_API_URL), else the API of this machine's settings."""
    configured = str(settings.client.api_url).rstrip("/")
    if configured:
        return configured
    host = str(settings.api.host)
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{settings.api.port}"


def refusal(status: int, problem: dict[str, Any], what: str) -> ApiError:
    """The one line that explains an error answer."""
    detail = str(problem.get("detail") or problem.get("title") or "")
    if status == 401:
        return ApiError(f"the API refused the key (401): {KEY_HINT}")
    if status == 403:
        return ApiError(f"{detail} (403)")
    if status == 404:
        return ApiError(f"{detail or what + ' not found'} (404)")
    errors = problem.get("errors") or []
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return ApiError(f"{what}: {detail or 'no reason given'} ({status})")


class ApiClient:
    """Requests to one API with one key, on one aiohttp session."""

    def __init__(self, base_url: str, key: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self._session = session
        self._headers = {"Authorization": f"Bearer {key}"}

    @classmethod
    @asynccontextmanager
    async def connect(cls, base_url: str, key: str) -> AsyncIterator[ApiClient]:
        if not key:
            raise ApiError(f"no API key: {KEY_HINT}")
        async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
            yield cls(base_url, key, session)

    async def _call(self, method: str, path: str, what: str, body: Any = None) -> Any:
        url = f"{self.base_url}{path}"
        try:
            async with self._session.request(
                method, url, json=body, headers=self._headers
            ) as reply:
                payload = orjson.loads(await reply.read() or b"{}")
                if reply.status >= 400:
                    raise refusal(reply.status, payload, what)
                return payload
        except aiohttp.ClientConnectionError as exc:
            raise self._unreachable(exc) from None
        except orjson.JSONDecodeError:
            raise ApiError(f"{url} did not answer with JSON: is it the Fragrance AI API?") from None

    def _unreachable(self, exc: Exception) -> ApiError:
        # asyncio words a refused connection "Connect call failed (host, port)": the errno
        # says it better ("connection refused").
        reason = getattr(exc, "os_error", None) or exc
        number = getattr(reason, "errno", None)
        reason_text = os.strerror(number) if number else str(reason) or type(exc).__name__
        return ApiError(
            f"cannot reach the API at {self.base_url} ({reason_text.lower()}):"
            " is it running? FRAGRANCE_API_URL names another"
        )

    async def submit(self, brief: str, options: dict[str, Any]) -> UUID:
        body = {"brief": brief, "options": options}
        accepted = await self._call("POST", "/v1/formulations", "the brief was refused", body)
        return UUID(accepted["job_id"])

    async def job(self, job_id: UUID | str) -> JobView:
        return JobView.model_validate(await self._call("GET", f"/v1/jobs/{job_id}", "job"))

    async def jobs(self, limit: int, kind: str | None = None) -> list[JobSummary]:
        query = f"?limit={limit}" + (f"&kind={kind}" if kind else "")
        listed = await self._call("GET", f"/v1/jobs{query}", "listing jobs")
        return JobList.model_validate(listed).jobs

    async def cancel(self, job_id: UUID | str) -> JobView:
        cancelled = await self._call("POST", f"/v1/jobs/{job_id}/cancel", "cancelling")
        return JobView.model_validate(cancelled)

    async def start_training(self, options: dict[str, Any]) -> UUID:
        accepted = await self._call(
            "POST", "/v1/training-runs", "the training run was refused", options
        )
        return UUID(accepted["job_id"])

    def events(self, job_id: UUID) -> AsyncIterator[ServerEvent]:
        """The job's events, stored ones first, until the server ends the stream (after
        the job's last event)."""
        return self._stream(f"/v1/jobs/{job_id}/events", "job")

    def logs(self, job_id: UUID | None, service: str | None) -> AsyncIterator[ServerEvent]:
        """Every service's log records from now on (admin keys), narrowed to one job or
        service; a `following` event first, once nothing after it can be missed."""
        query = urlencode({k: str(v) for k, v in (("job_id", job_id), ("service", service)) if v})
        return self._stream(f"/v1/logs?{query}", "following the logs")

    async def _stream(self, path: str, what: str) -> AsyncIterator[ServerEvent]:
        try:
            async with self._session.get(
                f"{self.base_url}{path}", headers=self._headers, timeout=STREAM_TIMEOUT
            ) as reply:
                if reply.status >= 400:
                    raise refusal(reply.status, orjson.loads(await reply.read() or b"{}"), what)
                async for event in parse_event_stream(reply.content):
                    yield event
        except aiohttp.ClientConnectionError as exc:
            raise self._unreachable(exc) from None


async def parse_event_stream(lines: AsyncIterable[bytes]) -> AsyncIterator[ServerEvent]:
    """Server-Sent Events (the WHATWG format) from a stream of lines; comments skipped."""
    fields: dict[str, str] = {}
    async for raw in lines:
        line = raw.decode().rstrip("\r\n")
        if line and not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            # A long data field may come in several lines; the spec joins them with \n.
            fields[name] = (
                f"{fields[name]}\n{value}" if name == "data" and name in fields else value
            )
        elif not line and "data" in fields:
            yield ServerEvent(
                int(fields.get("id") or 0),
                fields.get("event", "message"),
                orjson.loads(fields["data"]),
            )
            fields = {}
