"""Every route of the API, in one flat list."""

from aiohttp import web

from fragrance_ai.http import log_stream, sse, studio, training_views, views
from fragrance_ai.http.auth import requires
from fragrance_ai.metrics import metrics_view
from fragrance_ai.store import Scope


@requires(Scope.ADMIN)
async def api_metrics(request: web.Request) -> web.StreamResponse:
    """The API's /metrics answers admin keys only (workers serve theirs on a port of
    their own, inside the cluster)."""
    return await metrics_view(request)


def add_routes(app: web.Application) -> None:
    app.router.add_routes(
        [
            web.post("/v1/formulations", views.create_formulation),
            web.get("/v1/jobs", views.list_jobs),
            web.get("/v1/jobs/{job_id}", views.get_job),
            web.get("/v1/jobs/{job_id}/events", sse.stream_job_events),
            web.post("/v1/jobs/{job_id}/cancel", views.cancel_job),
            web.post("/v1/training-runs", training_views.create_training_run),
            web.get("/v1/training-runs/{job_id}", training_views.get_training_run),
            web.post("/v1/training-runs/{job_id}/promote", training_views.promote_training_run),
            web.get("/v1/key", views.key_info),
            web.get("/v1/logs", log_stream.stream_logs),
            web.get("/", studio.studio_page),
            web.get("/studio/{name}", studio.studio_asset),
            web.get("/health", views.health),
            web.get("/ready", views.ready),
            web.get("/metrics", api_metrics),
        ]
    )
