"""`POST /v1/training-runs`, `GET /v1/training-runs/{id}` and, for admin keys,
`POST /v1/training-runs/{id}/promote`: serve that run's policy as `optimizer=policy`."""

from uuid import uuid4

from aiohttp import web

from fragrance_ai.http.auth import requires
from fragrance_ai.http.keys import STORE
from fragrance_ai.http.problems import ProblemError, problem, read_model
from fragrance_ai.http.quotas import check_training_size
from fragrance_ai.http.views import accepted, owned_job, parse_job_id, submission
from fragrance_ai.jobs import submit_training
from fragrance_ai.store import Scope
from schemas.http import FieldProblem, PromotedPolicy, TrainingRunView
from schemas.jobs import JobKind, JobStatus, JobView
from schemas.training import TrainingOptions, TrainingProgress


@requires(Scope.TRAIN)
async def create_training_run(request: web.Request) -> web.Response:
    options = await read_model(request, TrainingOptions, empty_ok=True)
    if options.run is not None:
        message = "a run's folder is named by its job id; leave `run` out"
        raise ProblemError(
            problem(
                422, "Invalid request body", message, [FieldProblem(field="run", message=message)]
            )
        )
    check_training_size(request, options)
    job_id = uuid4()
    links = {
        "self": f"/v1/training-runs/{job_id}",
        "events": f"/v1/jobs/{job_id}/events",
        "cancel": f"/v1/jobs/{job_id}/cancel",
    }
    response = accepted(job_id, links)
    await submit_training(request.app[STORE], options, submission(request, response, job_id))
    return response


async def owned_run(request: web.Request) -> JobView:
    job_id = parse_job_id(request)
    job = await owned_job(request, job_id)
    if job.kind is not JobKind.TRAINING:
        raise web.HTTPNotFound(text=f"job {job_id} is a {job.kind.value} job, not a training run")
    return job


@requires(Scope.ADMIN)
async def promote_training_run(request: web.Request) -> web.Response:
    job = await owned_run(request)
    if job.status is not JobStatus.SUCCEEDED:
        return problem(
            409, "Run not finished", f"training run {job.id} is {job.status.value}, not succeeded"
        )
    run = str(job.options["run"])
    await request.app[STORE].promote_policy(job.id, run)
    promoted = PromotedPolicy(job_id=job.id, run=run)
    return web.Response(body=promoted.model_dump_json(), content_type="application/json")


async def get_training_run(request: web.Request) -> web.Response:
    job = await owned_run(request)
    job_id = job.id
    latest = await request.app[STORE].latest_event(job_id, "training_progressed")
    progress = TrainingProgress.model_validate(latest.payload["progress"]) if latest else None
    view = TrainingRunView(job=job, progress=progress)
    return web.Response(body=view.model_dump_json(), content_type="application/json")
