"""Request count and latency of the API, by method, route template and status."""

import time

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "http_requests", "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)  # fmt: skip
HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# Requests that match no route are counted under one label, so scanners probing
# random paths cannot grow the number of series without bound.
UNMATCHED_ROUTE = "unmatched"
# The same for methods: any method outside HTTP's standard ones is counted as "other".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"


def method_label(request: web.Request) -> str:
    return request.method if request.method in KNOWN_METHODS else OTHER_METHOD


def route_template(request: web.Request) -> str:
    """`/v1/jobs/{job_id}`, not the job id itself."""
    resource = request.match_info.route.resource
    if resource is None:
        return UNMATCHED_ROUTE
    return resource.canonical


@web.middleware
async def http_metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        labels = (method_label(request), route_template(request), str(status))
        HTTP_REQUESTS.labels(*labels).inc()
        HTTP_REQUEST_DURATION.labels(*labels).observe(time.perf_counter() - started)
