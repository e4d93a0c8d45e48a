"""Thin views: parse, call the job service, translate domain errors at the edge.

A job belongs to the tenant of the key that created it; another tenant's job is
answered exactly like a job that does not exist (404).

What the API shows a key without `admin` is the job and its events less the internals:
which worker ran a stage (its host and pid), the models' raw output and how the brief
was read (`details`), the error behind a failure (`detail`: exception text), and the
files a training run wrote (`checkpoint`, `policy`). Keys with `admin` see all.
"""

from typing import Any
from uuid import UUID, uuid4

from aiohttp import web

from fragrance_ai import jobs
from fragrance_ai.http.auth import principal, requires
from fragrance_ai.http.idempotency import answer_to_keep
from fragrance_ai.http.keys import CORRELATION_ID, SETTINGS, STORE
from fragrance_ai.http.problems import problem, read_model
from fragrance_ai.jobs import Submission, submit_formulation
from fragrance_ai.store import ApiKey, JobNotFoundError, Scope
from schemas.http import FormulationRequest, JobAccepted, KeyInfo
from schemas.jobs import JobKind, JobList, JobSummary, JobView

MAX_LISTED_JOBS = 100

HIDDEN_EVENT_FIELDS: dict[str, frozenset[str]] = {
    "stage_started": frozenset({"worker"}),
    "brief_interpreted": frozenset({"details"}),
    "job_failed": frozenset({"detail"}),
}
HIDDEN_OUTCOME_FIELDS = frozenset({"checkpoint", "policy"})


def sees_internals(key: ApiKey) -> bool:
    return Scope.ADMIN in key.scopes


def _outcome(outcome: dict[str, Any] | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {name: value for name, value in outcome.items() if name not in HIDDEN_OUTCOME_FIELDS}


def job_for(key: ApiKey, job: JobView) -> JobView:
    if sees_internals(key):
        return job
    return job.model_copy(update={"result": _outcome(job.result)})


def event_for(key: ApiKey, type: str, payload: dict[str, Any]) -> dict[str, Any]:
    if sees_internals(key):
        return payload
    hidden = HIDDEN_EVENT_FIELDS.get(type, frozenset())
    shown = {name: value for name, value in payload.items() if name not in hidden}
    if type == "policy_trained":
        shown["outcome"] = _outcome(shown.get("outcome"))
    return shown


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
        body=accepted.model_dump_json().encode(),
        content_type="application/json",
        headers={"Location": accepted.links["self"]},
    )


def submission(request: web.Request, response: web.Response, job_id: UUID) -> Submission:
    """The job's owner and the answer to keep under the request's Idempotency-Key."""
    return Submission(
        principal(request).tenant,
        request[CORRELATION_ID],
        job_id,
        answer_to_keep(request, response),
        max_in_flight=int(request.app[SETTINGS].api.quotas.jobs_in_flight),
    )


async def owned_job(request: web.Request, job_id: UUID) -> JobView:
    """The job if the request's tenant owns it, as the request's key may see it; 404
    otherwise."""
    key = principal(request)
    try:
        return job_for(key, await request.app[STORE].get_job(job_id, tenant=key.tenant))
    except JobNotFoundError:
        raise web.HTTPNotFound(text=f"no job {job_id}") from None


@requires(Scope.FORMULATE)
async def create_formulation(request: web.Request) -> web.Response:
    formulation = await read_model(request, FormulationRequest)
    job_id = uuid4()
    response = accepted(job_id, job_links(job_id))
    await submit_formulation(
        request.app[STORE],
        formulation.brief,
        formulation.options,
        submission(request, response, job_id),
    )
    return response


def parse_limit(request: web.Request, default: int = 20) -> int:
    raw = request.query.get("limit", str(default))
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LISTED_JOBS:
        raise web.HTTPBadRequest(text=f"limit must be a whole number from 1 to {MAX_LISTED_JOBS}")
    return int(raw)


def parse_kind(request: web.Request) -> JobKind | None:
    raw = request.query.get("kind")
    if raw is None:
        return None
    try:
        return JobKind(raw)
    except ValueError:
        kinds = ", ".join(kind.value for kind in JobKind)
        raise web.HTTPBadRequest(text=f"kind must be one of {kinds}") from None


async def list_jobs(request: web.Request) -> web.Response:
    """The tenant's newest jobs, `?limit=` (20, at most 100) and `?kind=` to narrow."""
    key = principal(request)
    found = await request.app[STORE].recent_jobs(
        key.tenant, parse_limit(request), parse_kind(request)
    )
    listed = JobList(jobs=[JobSummary.of(job_for(key, job)) for job in found])
    return web.Response(body=listed.model_dump_json(), content_type="application/json")


async def get_job(request: web.Request) -> web.Response:
    job = await owned_job(request, parse_job_id(request))
    return web.Response(body=job.model_dump_json(), content_type="application/json")


async def key_info(request: web.Request) -> web.Response:
    """The tenant and scopes of the key sent, so a client can offer what it allows."""
    key = principal(request)
    info = KeyInfo(id=key.id, tenant=key.tenant, scopes=sorted(s.value for s in key.scopes))
    return web.Response(body=info.model_dump_json(), content_type="application/json")


async def cancel_job(request: web.Request) -> web.Response:
    job_id = parse_job_id(request)
    try:
        job = await jobs.cancel_job(
            request.app[STORE], job_id, "cancelled on request", tenant=principal(request).tenant
        )
    except JobNotFoundError:
        raise web.HTTPNotFound(text=f"no job {job_id}") from None
    except jobs.JobAlreadyFinishedError as exc:
        return problem(409, "Job already finished", str(exc))
    shown = job_for(principal(request), job)
    return web.Response(body=shown.model_dump_json().encode(), content_type="application/json")
