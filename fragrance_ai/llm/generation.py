"""Batched, greedy generation over chat prompts: one generate call per batch, and the
dynamic batching that lets concurrent requests for one model share that call."""

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Protocol

from fragrance_ai.llm.config import Backend
from fragrance_ai.llm.decoding import GenerateDecoder, SharedPrefixDecoder, runs_shared_prefix
from fragrance_ai.llm.loading import LoadedModel
from fragrance_ai.llm.metrics import LLM_BATCH_SIZE, LLM_INFERENCE_DURATION, LLM_TOKENS_GENERATED
from fragrance_ai.llm.prompt import Messages, Prompt
from fragrance_ai.llm.reply import narrowed_by_weights
from fragrance_ai.llm.reply_constraints import RowEnds, RowMatchers, grammar_tokenizer


@dataclass(frozen=True)
class Generation:
    """One reply: its text and how many new tokens it took."""

    text: str
    tokens: int


class BatchGenerate(Protocol):
    """Anything that answers a batch of prompts, in order, synchronously."""

    def __call__(self, prompts: Sequence[Prompt]) -> list[Generation]: ...


class RowDecoder(Protocol):
    """Greedy decoding of token rows, with a prefix that rows may share."""

    prefix_ids: list[int]

    def covers(self, rows: Sequence[Sequence[int]]) -> bool: ...

    def decode(
        self,
        rows: Sequence[Sequence[int]],
        pad_id: int,
        max_new_tokens: int,
        ends: RowEnds,
        matchers: RowMatchers | None = None,
    ) -> list[list[int]]: ...


class TransformersGenerator:
    """Batched greedy decoding with a loaded model: the shared prefix's keys and values
    reused when `shared` is given, each reply held to its prompt's schema when the spec
    asks for it. A torch model of an architecture the shared-prefix loop is tested on
    decodes in that loop (SharedPrefixDecoder); any other model, ONNX Runtime's included,
    through `generate` with the prefix's cache (GenerateDecoder). `thread`, when given, is the one
    the model was loaded on and should run on (see service)."""

    def __init__(
        self, loaded: LoadedModel, shared: Messages | None = None, thread: Executor | None = None
    ) -> None:
        self.spec = loaded.spec
        self.thread = thread
        self.name = loaded.spec.name
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.max_new_tokens = loaded.spec.max_new_tokens
        self._grammar_tokenizer = (
            grammar_tokenizer(self.tokenizer, self.model.config.vocab_size, self._eos_ids())
            if loaded.spec.constrained_decoding
            else None
        )
        prefix_ids = self._token_ids(shared, continued=False) if shared is not None else []
        self.decoder: RowDecoder = (
            SharedPrefixDecoder(self.model, prefix_ids)
            if loaded.spec.backend is not Backend.ONNX and runs_shared_prefix(self.model.config)
            else GenerateDecoder(self.model, prefix_ids)
        )

    def __call__(self, prompts: Sequence[Prompt]) -> list[Generation]:
        return self.generate(prompts, self.max_new_tokens)

    def generate(self, prompts: Sequence[Prompt], max_new_tokens: int) -> list[Generation]:
        started = time.perf_counter()
        rows = [self._token_ids(p.messages) for p in prompts]
        ends = RowEnds(self.tokenizer, len(rows), self._eos_ids())
        new_tokens = self.decoder.decode(
            rows, self.tokenizer.pad_token_id, max_new_tokens, ends, self._matchers(prompts)
        )
        replies = [self._reply(row) for row in new_tokens]
        LLM_INFERENCE_DURATION.labels(model=self.name).observe(time.perf_counter() - started)
        LLM_BATCH_SIZE.labels(model=self.name).observe(len(prompts))
        LLM_TOKENS_GENERATED.labels(model=self.name).inc(sum(r.tokens for r in replies))
        return replies

    def warm_up(self) -> None:
        """One tiny generation, so the first real request does not pay for lazy set-up."""
        self.generate([Prompt([{"role": "user", "content": "Hello"}])], max_new_tokens=2)

    def _matchers(self, prompts: Sequence[Prompt]) -> RowMatchers | None:
        schemas = [p.reply_schema for p in prompts]
        if self._grammar_tokenizer is None or all(s is None for s in schemas):
            return None
        return RowMatchers(self._grammar_tokenizer, schemas, narrowing=narrowed_by_weights)

    def _token_ids(self, messages: Messages, continued: bool = True) -> list[int]:
        text = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=continued
        )
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def _eos_ids(self) -> list[int]:
        # The model's own end-of-turn tokens: a GGUF's tokenizer may name another eos.
        eos = self.model.generation_config.eos_token_id
        return list(eos) if isinstance(eos, list) else [eos]

    def _reply(self, ids: list[int]) -> Generation:
        stops = {*self._eos_ids(), self.tokenizer.pad_token_id}
        length = next((i for i, token in enumerate(ids) if token in stops), len(ids))
        text = self.tokenizer.decode(ids[:length], skip_special_tokens=True)
        return Generation(text=text, tokens=length)


# Dynamic batching.
@dataclass
class _Request:
    prompt: Prompt
    reply: asyncio.Future[Generation] = field(repr=False)


class BatchingGenerator:
    """Gathers requests for `window_s` (or until `max_batch_size`) into one batch.

    Generation runs off the event loop, one batch at a time per model, on `thread`
    (the model's own, see service) or else the loop's default executor. A request whose
    caller gave up (timeout or cancellation) before its batch started is left out of
    the batch.
    """

    def __init__(
        self,
        generate: BatchGenerate,
        window_s: float,
        max_batch_size: int,
        timeout_s: float,
        thread: Executor | None = None,
    ) -> None:
        self._generate = generate
        self._thread = thread
        self._window_s = window_s
        self._max_batch_size = max_batch_size
        self._timeout_s = timeout_s
        self._queue: asyncio.Queue[_Request] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self.batch_sizes: deque[int] = deque(maxlen=1024)

    async def generate(self, prompt: Prompt) -> Generation:
        """The reply to one prompt; TimeoutError after the request timeout."""
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._serve(), name="llm-batching")
        reply: asyncio.Future[Generation] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Request(prompt, reply))
        return await asyncio.wait_for(reply, self._timeout_s)

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _serve(self) -> None:
        while True:
            batch = await self._gather()
            live = [r for r in batch if not r.reply.done()]
            if not live:
                continue
            self.batch_sizes.append(len(live))
            try:
                replies = await asyncio.get_running_loop().run_in_executor(
                    self._thread, self._generate, [r.prompt for r in live]
                )
            except Exception as error:  # one failed batch fails its requests, not the worker
                for request in live:
                    if not request.reply.done():
                        request.reply.set_exception(error)
                continue
            for request, reply in zip(live, replies, strict=True):
                if not request.reply.done():
                    request.reply.set_result(reply)

    async def _gather(self) -> list[_Request]:
        batch = [await self._queue.get()]
        deadline = asyncio.get_running_loop().time() + self._window_s
        while len(batch) < self._max_batch_size:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), remaining))
            except TimeoutError:
                break
        return batch
