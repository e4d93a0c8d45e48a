"""Dynamic batching over a fake generate function that records its batches."""

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from fragrance_ai.llm.generation import BatchingGenerator, Generation
from fragrance_ai.llm.prompt import Prompt


class RecordingGenerate:
    def __init__(self, gate: threading.Event | None = None) -> None:
        self.batches: list[list[str]] = []
        self.gate = gate

    def __call__(self, prompts: Sequence[Prompt]) -> list[Generation]:
        if self.gate is not None:
            assert self.gate.wait(5), "test gate never opened"
        contents = [p.messages[-1]["content"] for p in prompts]
        self.batches.append(contents)
        return [Generation(text=f"reply to {c}", tokens=3) for c in contents]


def _ask(text: str) -> Prompt:
    return Prompt([{"role": "user", "content": text}])


async def test_concurrent_requests_share_one_generate_call() -> None:
    generate = RecordingGenerate()
    batcher = BatchingGenerator(generate, window_s=0.05, max_batch_size=16, timeout_s=5)
    replies = await asyncio.gather(*(batcher.generate(_ask(str(i))) for i in range(5)))
    await batcher.aclose()
    assert [r.text for r in replies] == [f"reply to {i}" for i in range(5)]
    assert generate.batches == [["0", "1", "2", "3", "4"]]
    assert list(batcher.batch_sizes) == [5]


async def test_batches_run_on_the_thread_they_are_given() -> None:
    ran_on: list[str] = []
    generate = RecordingGenerate()

    def recorded(prompts: Sequence[Prompt]) -> list[Generation]:
        ran_on.append(threading.current_thread().name)
        return generate(prompts)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="model") as thread:
        batcher = BatchingGenerator(
            recorded, window_s=0.0, max_batch_size=1, timeout_s=5, thread=thread
        )
        await asyncio.gather(*(batcher.generate(_ask(str(i))) for i in range(3)))
        await batcher.aclose()
    assert len(generate.batches) == 3
    assert ran_on == ["model_0"] * 3


async def test_batches_are_capped_at_the_maximum_size() -> None:
    generate = RecordingGenerate()
    batcher = BatchingGenerator(generate, window_s=0.05, max_batch_size=2, timeout_s=5)
    await asyncio.gather(*(batcher.generate(_ask(str(i))) for i in range(5)))
    await batcher.aclose()
    assert [len(b) for b in generate.batches] == [2, 2, 1]


async def test_a_request_times_out_and_a_later_one_is_still_served() -> None:
    gate = threading.Event()
    generate = RecordingGenerate(gate)
    batcher = BatchingGenerator(generate, window_s=0.0, max_batch_size=4, timeout_s=0.1)
    with pytest.raises(TimeoutError):
        await batcher.generate(_ask("slow"))
    gate.set()
    assert (await batcher.generate(_ask("next"))).text == "reply to next"
    await batcher.aclose()


async def test_a_cancelled_request_is_dropped_from_its_batch_while_the_loop_keeps_running() -> None:
    gate = threading.Event()
    generate = RecordingGenerate(gate)
    batcher = BatchingGenerator(generate, window_s=0.0, max_batch_size=8, timeout_s=5)
    busy = asyncio.create_task(batcher.generate(_ask("first")))
    await asyncio.sleep(0.05)  # "first" is now generating in the worker thread
    cancelled = asyncio.create_task(batcher.generate(_ask("cancelled")))
    kept = asyncio.create_task(batcher.generate(_ask("kept")))
    await asyncio.sleep(0.05)  # the event loop is free while generation blocks
    cancelled.cancel()
    gate.set()
    await busy
    assert (await kept).text == "reply to kept"
    await batcher.aclose()
    assert generate.batches == [["first"], ["kept"]]


async def test_a_failing_generate_fails_its_requests_not_the_batcher() -> None:
    calls = 0

    def flaky(prompts: Sequence[Prompt]) -> list[Generation]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("out of memory")
        return [Generation(text="ok", tokens=1) for _ in prompts]

    batcher = BatchingGenerator(flaky, window_s=0.0, max_batch_size=4, timeout_s=5)
    with pytest.raises(RuntimeError, match="out of memory"):
        await batcher.generate(_ask("a"))
    assert (await batcher.generate(_ask("b"))).text == "ok"
    await batcher.aclose()
