"""Typed keys for what the application and its requests carry."""

from typing import TYPE_CHECKING
from weakref import WeakSet

from aiohttp import web
from dynaconf import Dynaconf

if TYPE_CHECKING:
    from fragrance_ai.http.auth import KeyChecker
    from fragrance_ai.http.idempotency import Claim
    from fragrance_ai.jobs.feed import JobEventFeed
    from fragrance_ai.store import ApiKey, JobStore, Notifier

SETTINGS: web.AppKey[Dynaconf] = web.AppKey("settings")
STORE: web.AppKey["JobStore"] = web.AppKey("store")
NOTIFIER: web.AppKey["Notifier"] = web.AppKey("notifier")
STREAMS: web.AppKey[WeakSet[web.StreamResponse]] = web.AppKey("streams")
CORRELATION_ID: web.RequestKey[str] = web.RequestKey("correlation_id")
EVENT_FEED: web.AppKey["JobEventFeed"] = web.AppKey("event_feed")
KEY_CHECKER: web.AppKey["KeyChecker"] = web.AppKey("key_checker")
PRINCIPAL: web.RequestKey["ApiKey"] = web.RequestKey("principal")
IDEMPOTENCY: web.RequestKey["Claim"] = web.RequestKey("idempotency")
OPENAPI: web.AppKey[bytes] = web.AppKey("openapi")
