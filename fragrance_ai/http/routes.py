"""Every route of the API, in one flat list: the app registers it, and the OpenAPI
document (`fragrance_ai.http.openapi`) is generated from it."""

import orjson
from aiohttp import web

from fragrance_ai import probes
from fragrance_ai.http import log_stream, openapi, sse, studio, training_views, views
from fragrance_ai.http.auth import public, requires
from fragrance_ai.http.keys import OPENAPI
from fragrance_ai.http.route import Answer, Route
from fragrance_ai.metrics import metrics_view
from fragrance_ai.store import Scope
from schemas.http import (
    FormulationRequest,
    Health,
    JobAccepted,
    KeyInfo,
    PromotedPolicy,
    Readiness,
    StreamedEvent,
    TrainingRunView,
)
from schemas.jobs import JobList, JobView
from schemas.training import TrainingOptions


@requires(Scope.ADMIN)
async def api_metrics(request: web.Request) -> web.StreamResponse:
    """The API's /metrics answers admin keys only (workers serve theirs on a port of
    their own, inside the cluster)."""
    return await metrics_view(request)


LOCATED = {"Location": "Where to read the job"}
QUEUED = "Accepted and stored: the job will run even if the broker is briefly down"
FINISHED = "when the job has already finished"

ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/formulations", views.create_formulation, "Formulate a brief",
          (Answer(202, QUEUED, JobAccepted, headers=LOCATED),), body=FormulationRequest),
    Route("GET", "/v1/jobs", views.list_jobs, "List the tenant's newest jobs",
          (Answer(200, "Newest first", JobList),), parameters=("Limit", "Kind")),
    Route("GET", "/v1/jobs/{job_id}", views.get_job, "Read a job",
          (Answer(200, "The job", JobView),)),
    Route("GET", "/v1/jobs/{job_id}/events", sse.stream_job_events,
          "Follow a job's events: stored ones first, then live ones, until it finishes",
          (Answer(200, "Server-Sent Events: `id` is the event's number, `event` its type, "
                  "`data` one JSON object", StreamedEvent, "text/event-stream"),),
          parameters=("LastEventId", "LastEventIdQuery")),
    Route("POST", "/v1/jobs/{job_id}/cancel", views.cancel_job, "Cancel a job",
          (Answer(200, "The cancelled job", JobView),), conflicts=FINISHED),
    Route("POST", "/v1/training-runs", training_views.create_training_run,
          "Train a policy for `optimizer=policy`",
          (Answer(202, QUEUED, JobAccepted, headers=LOCATED),),
          body=TrainingOptions, body_required=False, tag="training"),
    Route("GET", "/v1/training-runs/{job_id}", training_views.get_training_run,
          "Read a training run and its latest figures",
          (Answer(200, "The run", TrainingRunView),), tag="training"),
    Route("POST", "/v1/training-runs/{job_id}/promote", training_views.promote_training_run,
          "Serve this run's policy as `optimizer=policy`",
          (Answer(200, "The run's policy is served", PromotedPolicy),),
          conflicts="when the run has not succeeded", tag="training"),
    Route("GET", "/v1/key", views.key_info, "The tenant and scopes of the key sent",
          (Answer(200, "The key", KeyInfo),), tag="keys"),
    Route("GET", "/v1/logs", log_stream.stream_logs,
          "Follow every service's log records from now on (admin keys)",
          (Answer(200, "Server-Sent Events: one JSON log record per event",
                  media_type="text/event-stream"),),
          parameters=("LogJobId", "LogService"), tag="operations"),
    Route("GET", "/", studio.studio_page, "The formulation studio",
          (Answer(200, "The studio's page", media_type="text/html"),), tag="studio"),
    Route("GET", "/studio/studio.js", studio.studio_asset, "The studio's script",
          (Answer(200, "JavaScript", media_type="text/javascript"),), tag="studio"),
    Route("GET", "/studio/studio.css", studio.studio_asset, "The studio's style sheet",
          (Answer(200, "CSS", media_type="text/css"),), tag="studio"),
    Route("GET", "/health", public(probes.health), "Is the process alive",
          (Answer(200, "Alive", Health),), tag="operations"),
    Route("GET", "/ready", public(probes.ready), "Are the database and the broker reachable",
          (Answer(200, "Ready", Readiness), Answer(503, "A dependency is not", Readiness)),
          tag="operations"),
    Route("GET", "/metrics", api_metrics, "Prometheus metrics",
          (Answer(200, "The exposition format", media_type="text/plain"),), tag="operations"),
    Route("GET", "/openapi.json", openapi.openapi_json, "This document",
          (Answer(200, "OpenAPI 3.1", media_type="application/json"),), tag="documents"),
    Route("GET", "/docs", openapi.docs_page, "This document, to read",
          (Answer(200, "A page that reads /openapi.json", media_type="text/html"),),
          tag="documents"),
)  # fmt: skip


def add_routes(app: web.Application) -> None:
    app[OPENAPI] = orjson.dumps(openapi.openapi_document(ROUTES))
    for route in ROUTES:
        # add_route, not add_get: no implicit HEAD, which the document does not describe.
        app.router.add_route(route.method, route.path, route.view)
