"""`Idempotency-Key` on every POST, as Stripe has it: the same key and body get the
first answer again (`Idempotent-Replayed: true`), the same key with another body or
route gets 422, and a key is kept 24 hours, in the database every replica shares.

Only a 2xx answer is kept: a request refused for its body may be corrected and sent
again under its key. A view that creates a job keeps its answer in the job's own
transaction (`answer_to_keep`); any other 2xx is kept after the view returns.
"""

import hashlib
import re

import orjson
from aiohttp import web

from fragrance_ai.http.keys import IDEMPOTENCY, PRINCIPAL, STORE
from fragrance_ai.http.problems import Handler, problem
from fragrance_ai.store import IdempotencyKeyUsedError, KeptAnswer

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_KEPT_HEADERS = ("Content-Type", "Location")


class Claim:
    """A POST's tenant, key and fingerprint, until its answer is kept."""

    def __init__(self, tenant: str, key: str, fingerprint: str) -> None:
        self.tenant, self.key, self.fingerprint = tenant, key, fingerprint
        self.kept = False


def fingerprint(request: web.Request, body: bytes) -> str:
    """The route and the body; JSON bodies compared by value, not by spacing or order."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


def answer_to_keep(request: web.Request, response: web.Response) -> KeptAnswer | None:
    """What to store with a job under the request's key; None without a key."""
    claim = request.get(IDEMPOTENCY)
    if claim is None or not isinstance(response.body, bytes):  # a stream is not kept
        return None
    claim.kept = True
    headers = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
    return KeptAnswer(
        claim.tenant, claim.key, claim.fingerprint, response.status, response.body, headers
    )


def replay(answer: KeptAnswer, claim: Claim) -> web.Response:
    if answer.fingerprint != claim.fingerprint:
        return problem(
            422,
            "Idempotency-Key reused",
            "this Idempotency-Key was sent before with another request; use a new key",
        )
    headers = {**answer.headers, "Idempotent-Replayed": "true"}
    return web.Response(status=answer.status, body=answer.body, headers=headers)


async def kept_or_422(request: web.Request, claim: Claim) -> web.Response:
    answer = await request.app[STORE].kept_answer(claim.tenant, claim.key)
    assert answer is not None, "a key found taken is younger than a day"
    return replay(answer, claim)


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """After authentication: keys belong to the tenant of the request's API key."""
    key = request.headers.get(HEADER)
    owner = request.get(PRINCIPAL)
    if request.method != "POST" or key is None or owner is None:
        return await handler(request)
    if not _KEY.fullmatch(key):
        return problem(400, "Invalid Idempotency-Key", "1 to 255 printable ASCII characters")
    claim = Claim(owner.tenant, key, fingerprint(request, await request.read()))
    store = request.app[STORE]
    if (answer := await store.kept_answer(claim.tenant, key)) is not None:
        return replay(answer, claim)
    request[IDEMPOTENCY] = claim
    try:
        response = await handler(request)
    except IdempotencyKeyUsedError:  # the same key, sent twice at once: one job
        return await kept_or_422(request, claim)
    if claim.kept or not isinstance(response, web.Response) or not 200 <= response.status < 300:
        return response
    if (kept := answer_to_keep(request, response)) is None:
        return response
    try:
        await store.keep_answer(kept)
    except IdempotencyKeyUsedError:
        return await kept_or_422(request, claim)
    return response
