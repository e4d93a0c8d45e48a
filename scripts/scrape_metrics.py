"""A live `/metrics` scrape of a worker on the embedded broker, for `promtool check metrics`.

    python scripts/scrape_metrics.py scrape.txt && promtool check metrics < scrape.txt

Every metric the programs define is registered first, so the scrape shows all of them;
the scrape time goes to stderr.
"""

import asyncio
import contextlib
import socket
import sys
import time
import urllib.request

from fragrance_ai.config_loader import load_settings
from fragrance_ai.embedded.broker import EmbeddedBroker
from fragrance_ai.metrics.exposition import all_metric_names
from fragrance_ai.programs.worker import run_worker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return bytes(response.read())


async def scrape(bootstrap_servers: str) -> bytes:
    settings = load_settings("testing")
    settings.set("kafka.bootstrap_servers", bootstrap_servers)
    settings.set("metrics.llm_port", free_port())
    url = f"http://127.0.0.1:{settings.metrics.llm_port}/metrics"
    all_metric_names()
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, ("llm",), stop))
    try:
        for _ in range(300):
            if worker.done():
                worker.result()
            with contextlib.suppress(OSError):
                body = await asyncio.to_thread(fetch, url)
                if b"\nqueue_size{" in body:
                    break
            await asyncio.sleep(0.1)
        started = time.perf_counter()
        body = await asyncio.to_thread(fetch, url)
        elapsed_ms = (time.perf_counter() - started) * 1000
        print(f"scrape: {len(body)} bytes in {elapsed_ms:.1f} ms", file=sys.stderr)
        return body
    finally:
        stop.set()
        await worker


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: scrape_metrics.py OUTPUT_FILE")
    with EmbeddedBroker() as broker:
        body = asyncio.run(scrape(broker.bootstrap_servers))
    with open(sys.argv[1], "wb") as output:
        output.write(body)


if __name__ == "__main__":
    main()
