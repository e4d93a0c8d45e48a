"""`init_app(settings)`: the aiohttp application, its middlewares, routes and its
database-side resources. The API program (`programs/api.py`) adds the Kafka side."""

from weakref import WeakSet

from aiohttp import web
from dynaconf import Dynaconf

from fragrance_ai.http import resources
from fragrance_ai.http.auth import auth_middleware
from fragrance_ai.http.correlation import correlation_middleware
from fragrance_ai.http.idempotency import idempotency_middleware
from fragrance_ai.http.keys import SETTINGS, STREAMS
from fragrance_ai.http.problems import problem_middleware
from fragrance_ai.http.quotas import add_rate_limit_fields, quota_middleware, stream_leases
from fragrance_ai.http.routes import add_routes
from fragrance_ai.metrics.http import http_metrics_middleware
from fragrance_ai.probes import READINESS, Readiness


def init_app(settings: Dynaconf) -> web.Application:
    """The API on the broker and database named in `settings` (`kafka.bootstrap_servers`,
    `database.url`), which must be set: `fragrance-ai dev` sets them to embedded ones."""
    app = web.Application(
        client_max_size=int(settings.api.max_body_bytes),
        # Outermost first: metrics see the final status, problem+json responses included;
        # quotas count the authenticated key's requests; an Idempotency-Key belongs to the
        # tenant of the key that authenticated the request.
        middlewares=[
            http_metrics_middleware,
            correlation_middleware,
            problem_middleware,
            auth_middleware,
            quota_middleware,
            idempotency_middleware,
        ],
    )
    app[SETTINGS] = settings
    app[READINESS] = Readiness()
    app[STREAMS] = WeakSet()
    app.on_shutdown.append(resources.close_streams)
    app.cleanup_ctx.extend([resources.database, stream_leases, resources.job_counts])
    app.on_response_prepare.append(add_rate_limit_fields)
    add_routes(app)
    return app
