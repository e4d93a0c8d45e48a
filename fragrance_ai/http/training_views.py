"""`POST /v1/training-runs` and `GET /v1/training-runs/{id}`."""

from aiohttp import web
from pydantic import BaseModel, Field

from fragrance_ai.http.keys import CORRELATION_ID, STORE
from fragrance_ai.http.problems import read_model
from fragrance_ai.http.views import accepted, parse_job_id
from fragrance_ai.jobs import submit_training
from fragrance_ai.store import JobNotFoundError
from schemas.jobs import JobKind, JobView
from schemas.training import TrainingOptions, TrainingProgress


class TrainingRunView(BaseModel):
    job: JobView
    progress: TrainingProgress | None = Field(
        description="The latest iteration's figures; None before the first iteration"
    )


async def create_training_run(request: web.Request) -> web.Response:
    options = await read_model(request, TrainingOptions, empty_ok=True)
    job_id = await submit_training(request.app[STORE], options, request[CORRELATION_ID])
    links = {
        "self": f"/v1/training-runs/{job_id}",
        "events": f"/v1/jobs/{job_id}/events",
        "cancel": f"/v1/jobs/{job_id}/cancel",
    }
    return accepted(job_id, links)


async def get_training_run(request: web.Request) -> web.Response:
    job_id = parse_job_id(request)
    store = request.app[STORE]
    try:
        job = await store.get_job(job_id)
    except JobNotFoundError:
        raise web.HTTPNotFound(text=f"no training run {job_id}") from None
    if job.kind is not JobKind.TRAINING:
        raise web.HTTPNotFound(text=f"job {job_id} is a {job.kind.value} job, not a training run")
    latest = await store.latest_event(job_id, "training_progressed")
    progress = TrainingProgress.model_validate(latest.payload["progress"]) if latest else None
    view = TrainingRunView(job=job, progress=progress)
    return web.Response(body=view.model_dump_json(), content_type="application/json")
