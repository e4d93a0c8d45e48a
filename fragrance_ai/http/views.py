"""Thin views: parse, call the job service, translate domain errors at the edge."""

from uuid import UUID

from aiohttp import web

from fragrance_ai import jobs
from fragrance_ai.http.keys import CORRELATION_ID, READINESS, STORE
from fragrance_ai.http.problems import problem, read_model
from fragrance_ai.jobs import submit_formulation
from fragrance_ai.store import JobNotFoundError
from schemas.http import FormulationRequest, JobAccepted


def job_links(job_id: UUID) -> dict[str, str]:
    return {"self": f"/v1/jobs/{job_id}", "events": f"/v1/jobs/{job_id}/events"}


def parse_job_id(request: web.Request) -> UUID:
    try:
        return UUID(request.match_info["job_id"])
    except ValueError:
        raise web.HTTPNotFound(text=f"no job {request.match_info['job_id']!r}") from None


def accepted(job_id: UUID, links: dict[str, str]) -> web.Response:
    """202 for a queued job, with where to follow it."""
    accepted = JobAccepted(job_id=job_id, status="queued", links=links)
    return web.Response(
        status=202,
        body=accepted.model_dump_json(),
        content_type="application/json",
        headers={"Location": accepted.links["self"]},
    )


async def create_formulation(request: web.Request) -> web.Response:
    formulation = await read_model(request, FormulationRequest)
    job_id = await submit_formulation(
        request.app[STORE], formulation.brief, formulation.options, request[CORRELATION_ID]
    )
    return accepted(job_id, job_links(job_id))


async def get_job(request: web.Request) -> web.Response:
    job_id = parse_job_id(request)
    try:
        job = await request.app[STORE].get_job(job_id)
    except JobNotFoundError:
        raise web.HTTPNotFound(text=f"no job {job_id}") from None
    return web.Response(body=job.model_dump_json(), content_type="application/json")


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    report = await request.app[READINESS].report()
    healthy = all(state == "ok" for state in report.values())
    return web.json_response(
        {"status": "ready" if healthy else "not ready", "dependencies": report},
        status=200 if healthy else 503,
    )


async def cancel_job(request: web.Request) -> web.Response:
    job_id = parse_job_id(request)
    try:
        job = await jobs.cancel_job(request.app[STORE], job_id, "cancelled on request")
    except JobNotFoundError:
        raise web.HTTPNotFound(text=f"no job {job_id}") from None
    except jobs.JobAlreadyFinishedError as exc:
        return problem(409, "Job already finished", str(exc))
    return web.Response(body=job.model_dump_json(), content_type="application/json")
