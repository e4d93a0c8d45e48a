"""Who is asking: an API key from `Authorization: Bearer` or `X-API-Key`, checked against
its stored hash, and the scope each view requires.

Every route needs a key except those marked `public` (`/health`, `/ready`). A missing,
malformed, unknown, revoked or wrong key gets one and the same 401; a key without the
view's scope gets 403. A key's scrypt check runs once per process: later requests with
it cost one indexed read, which also sees a revocation at once.
"""

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from fragrance_ai.http.keys import KEY_CHECKER, PRINCIPAL
from fragrance_ai.http.problems import Handler, problem
from fragrance_ai.store import ApiKey, JobStore, Scope
from fragrance_ai.store.api_keys import KEY_PATTERN, secret_matches

View = TypeVar("View", bound=Handler)
_SCOPE = "fragrance_ai_scope"
_PUBLIC = "public"
UNAUTHORIZED_DETAIL = "send a valid API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`"


def requires(scope: Scope) -> Callable[[View], View]:
    """Mark a view as needing a key with ``scope`` (``admin`` has every scope)."""

    def mark(view: View) -> View:
        setattr(view, _SCOPE, scope)
        return view

    return mark


def public(view: View) -> View:
    """Mark a view as open to requests without a key."""
    setattr(view, _SCOPE, _PUBLIC)
    return view


def is_public(view: Handler) -> bool:
    return getattr(view, _SCOPE, None) == _PUBLIC


def required_scope(view: Handler) -> Scope | None:
    """The scope a view requires beyond a valid key; None for any key, or for no key."""
    scope = getattr(view, _SCOPE, None)
    return scope if isinstance(scope, Scope) else None


def principal(request: web.Request) -> ApiKey:
    """The key the request was authenticated with."""
    return request[PRINCIPAL]


class KeyChecker:
    """Finds the stored key for a presented one; remembers which secrets matched."""

    def __init__(self, store: JobStore, remembered: int = 1024) -> None:
        self._store = store
        self._remembered = remembered
        # (key id, stored hash, sha256 of the presented key): only digests, never a key.
        self._matched: OrderedDict[tuple[str, str, bytes], None] = OrderedDict()

    async def check(self, presented: str) -> ApiKey | None:
        match = KEY_PATTERN.fullmatch(presented)
        if match is None:
            return None
        key = await self._store.api_key(match["id"])
        if key is None or key.revoked_at is not None:
            return None
        seen = (key.id, key.secret_hash, hashlib.sha256(presented.encode()).digest())
        if seen in self._matched:
            self._matched.move_to_end(seen)
            return key
        if not await asyncio.to_thread(secret_matches, match["secret"], key.secret_hash):
            return None
        self._matched[seen] = None
        if len(self._matched) > self._remembered:
            self._matched.popitem(last=False)
        return key


def presented_key(request: web.Request) -> str:
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    return request.headers.get("X-API-Key", "").strip()


def unauthorized() -> web.Response:
    response = problem(401, "Unauthorized", UNAUTHORIZED_DETAIL)
    response.headers["WWW-Authenticate"] = 'Bearer realm="fragrance-ai"'
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    match_info = request.match_info
    if match_info.http_exception is not None:
        return await handler(request)  # 404 and 405 say nothing of any job
    if is_public(match_info.handler):
        return await handler(request)
    key = await request.app[KEY_CHECKER].check(presented_key(request))
    if key is None:
        return unauthorized()
    scope = required_scope(match_info.handler)
    if scope is not None and not key.allows(scope):
        return problem(403, "Forbidden", f"this key lacks the scope {scope.value!r}")
    request[PRINCIPAL] = key
    return await handler(request)
