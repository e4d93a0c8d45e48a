"""Dynamic batching: concurrent requests for one model share one generate call."""

import asyncio
import contextlib
from collections import deque
from concurrent.futures import Executor
from dataclasses import dataclass, field

from fragrance_ai.llm.generation import BatchGenerate, Generation
from fragrance_ai.llm.prompt import Prompt


@dataclass
class _Request:
    prompt: Prompt
    reply: asyncio.Future[Generation] = field(repr=False)


class BatchingGenerator:
    """Gathers requests for `window_s` (or until `max_batch_size`) into one batch.

    Generation runs off the event loop, one batch at a time per model, on `thread`
    (the model's own, see factory) or else the loop's default executor. A request whose
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
