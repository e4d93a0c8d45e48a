"""Steps of stopping are bounded even when the work will not stop when told."""

import asyncio

from fragrance_ai.programs.stopping import accepts_connections, bounded, unless_stopped


async def stubborn(release: asyncio.Event) -> None:
    """Work that swallows its cancellation, like a client retrying a broker that has gone,
    until `release` is set."""
    while not release.is_set():
        try:
            await release.wait()
        except asyncio.CancelledError:
            continue


async def test_a_step_that_finishes_in_time_is_not_abandoned() -> None:
    assert await bounded(asyncio.sleep(0), "a quick step", 1.0)


async def test_a_step_that_ignores_its_cancellation_is_abandoned_all_the_same() -> None:
    release = asyncio.Event()
    task = asyncio.ensure_future(stubborn(release))
    assert not await bounded(task, "a stubborn step", 0.05)
    assert not task.done()  # left behind, and the caller went on
    release.set()
    await task


async def test_work_is_cancelled_when_stop_comes_first() -> None:
    stop = asyncio.Event()
    work = asyncio.ensure_future(asyncio.sleep(3600))
    asyncio.get_running_loop().call_later(0.01, stop.set)
    assert not await unless_stopped(work, stop)
    assert work.cancelled()


async def test_work_that_ends_first_is_awaited() -> None:
    assert await unless_stopped(asyncio.sleep(0), asyncio.Event())


async def test_a_closed_port_refuses_and_an_unreadable_address_is_not_judged() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    assert await accepts_connections(f"127.0.0.1:{port}")
    server.close()
    await server.wait_closed()
    assert not await accepts_connections(f"127.0.0.1:{port}")
    assert await accepts_connections("kafka.example")
