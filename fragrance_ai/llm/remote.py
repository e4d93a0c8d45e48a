"""A model served by an OpenAI-compatible inference server (vLLM, TGI, llama.cpp's server).

The server batches concurrent requests itself, so each prompt is one request. At most
`max_concurrency` are in flight from this process; each has the ensemble's request
timeout; a connection error or a 429/5xx reply is retried `max_retries` times with
exponential backoff. What still fails raises ModelUnavailableError (or TimeoutError),
which the model's attempt records as an invalid reply.
"""

import asyncio
import json
from typing import Any

import aiohttp

from fragrance_ai.llm.config import ModelSpec
from fragrance_ai.llm.errors import ModelUnavailableError
from fragrance_ai.llm.generation import Generation
from fragrance_ai.llm.prompt import Prompt

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
FIRST_BACKOFF_S = 0.5


class ServedModel:
    """`generate(prompt)` against `spec.base_url`; call `aclose()` when done."""

    def __init__(self, spec: ModelSpec, timeout_s: float, first_backoff_s: float = FIRST_BACKOFF_S):
        if spec.base_url is None:
            raise ValueError(f"model {spec.name!r}: backend 'openai' needs a base_url")
        self.spec = spec
        self._url = spec.base_url.rstrip("/") + "/chat/completions"
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._gate = asyncio.Semaphore(spec.max_concurrency)
        self._first_backoff_s = first_backoff_s
        self._session: aiohttp.ClientSession | None = None

    async def generate(self, prompt: Prompt) -> Generation:
        last: _Transient | None = None
        async with self._gate:
            for attempt in range(self.spec.max_retries + 1):
                if attempt:
                    await asyncio.sleep(self._first_backoff_s * 2 ** (attempt - 1))
                try:
                    return await self._post(self._body(prompt))
                except _Transient as error:
                    last = error
        raise ModelUnavailableError(
            f"model {self.spec.name!r} at {self.spec.base_url}: {last} "
            f"({self.spec.max_retries + 1} attempts)"
        )

    def _body(self, prompt: Prompt) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.spec.source,
            "messages": prompt.messages,
            "max_tokens": self.spec.max_new_tokens,
            "temperature": 0,
        }
        if prompt.reply_schema is not None and self.spec.constrained_decoding:
            schema = json.loads(prompt.reply_schema)
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "brief", "schema": schema, "strict": True},
            }
        return body

    async def _post(self, body: dict[str, Any]) -> Generation:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers())
        try:
            async with self._session.post(self._url, json=body) as response:
                if response.status in RETRIED_STATUSES:
                    raise _Transient(f"HTTP {response.status}")
                if response.status != 200:
                    detail = (await response.text())[:200]
                    raise ModelUnavailableError(
                        f"model {self.spec.name!r} at {self.spec.base_url}: "
                        f"HTTP {response.status}: {detail}"
                    )
                reply = await response.json()
        except aiohttp.ClientConnectionError as error:
            raise _Transient(f"{type(error).__name__}: {error}") from error
        text = reply["choices"][0]["message"]["content"] or ""
        return Generation(text=text, tokens=int(reply.get("usage", {}).get("completion_tokens", 0)))

    def _headers(self) -> dict[str, str]:
        key = self.spec.api_key
        return {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class _Transient(Exception):
    """A failure worth another attempt."""
