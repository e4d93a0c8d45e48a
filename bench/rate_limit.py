"""What the rate limiter costs a request: the same keyed read with limits off and on.

    python bench/rate_limit.py [--requests 2000] [--concurrency 8] [--rounds 3]

The API application runs in this process on an embedded PostgreSQL (no broker: the
read needs none), with one API key. Each round sends `--requests` `GET /v1/jobs/{id}`,
`--concurrency` at a time, first with `api.rate_limit_enabled` off, then on (a limit
high enough never to refuse); with it on, every request also counts itself in
PostgreSQL (one upsert) and carries the RateLimit fields. Each mode keeps its fastest
round, and the ratio is printed beside.
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from fragrance_ai.config_loader import load_settings
from fragrance_ai.embedded.postgres import EmbeddedPostgres
from fragrance_ai.http.app import init_app
from fragrance_ai.store import JobStore, Scope, migrate, open_pool
from schemas.jobs import JobKind


async def _prepared(database_url: str) -> tuple[str, str]:
    """A key and a job of its tenant, stored."""
    pool = await open_pool(database_url, max_size=1)
    try:
        await migrate(pool)
        store = JobStore(pool)
        _, key = await store.create_api_key("bench", [Scope.FORMULATE])
        job_id = await store.create_job(JobKind.FORMULATION, "a woody amber", tenant="bench")
    finally:
        await pool.close()
    return key, str(job_id)


async def _round(database_url: str, limited: bool, key: str, job_id: str, args: Any) -> float:
    """Seconds for all requests through an app with the limiter off or on."""
    settings = load_settings("testing")
    settings.set("database.url", database_url)
    settings.set("api.rate_limit_enabled", limited)
    settings.set("api.quotas.requests_per_window", 10 * args.requests * args.rounds)
    app = init_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}/v1/jobs/{job_id}"
    headers = {"Authorization": f"Bearer {key}"}
    left = args.requests
    try:
        async with aiohttp.ClientSession(headers=headers) as http:

            async def client() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    async with http.get(url) as reply:
                        assert reply.status == 200, await reply.text()
                        assert ("RateLimit" in reply.headers) is limited

            async with http.get(url) as warm:  # the key's scrypt check, once per process
                assert warm.status == 200
            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(args.concurrency)))
            return time.perf_counter() - started
    finally:
        await runner.cleanup()


async def main(args: Any) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-rate-limit-") as data:
        postgres = EmbeddedPostgres(Path(data))
        await asyncio.to_thread(postgres.start)
        try:
            url = postgres.url_for("postgres")
            key, job_id = await _prepared(url)
            fastest: dict[bool, float] = {}
            for _ in range(args.rounds):
                for limited in (False, True):
                    seconds = await _round(url, limited, key, job_id, args)
                    fastest[limited] = min(fastest.get(limited, seconds), seconds)
        finally:
            await asyncio.to_thread(postgres.stop)
    print(f"{args.requests} keyed reads, {args.concurrency} at a time, best of {args.rounds}")
    print(f"{'limiter':>8} {'req/s':>8} {'ms/req':>8} {'vs off':>7}")
    for limited, seconds in fastest.items():
        rate = args.requests / seconds
        ratio = fastest[False] / seconds
        print(
            f"{'on' if limited else 'off':>8} {rate:>8.0f} {1000 * seconds / args.requests:>8.2f}"
            f" {ratio:>6.2f}x"
        )
    extra = (fastest[True] - fastest[False]) / args.requests * 1000 * args.concurrency
    print(f"latency added per request at this concurrency: about {extra:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
