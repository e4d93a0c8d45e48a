"""Which of the project's modules one brief passes through, from `POST /v1/formulations`
to its stored formula: the length of the path a newcomer follows.

It runs the whole system in this process as `fragrance-ai dev` does (embedded broker
and database in a temporary folder, the settings of APP_ENV, development by default,
so the language model reads the brief too), formulates another brief to warm everything up,
then records the project's functions called while a second brief goes from its POST to
`succeeded`, in every thread. Modules only imported are left out, and so is what runs on
its own clock whatever the brief (the metrics refreshes, the sweeper, the renewal of
event-stream leases), and so is the worker's own start, which ends when its last role has
joined its consumer group, sometimes after the warm-up brief (the training runner's start
then fell inside the window): a call is not counted when one of those is below it. The RL
worker optimises in a pool process, out of this process's sight, so the optimiser's call
for the same brief and options is then run, warmed up and recorded, here.

Run: python scripts/brief_path.py [--brief TEXT]
"""

import argparse
import asyncio
import os
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("fragrance_ai", "brokers", "handlers", "schemas", "settings")
# What runs whatever the brief, by file and function: the loops on a clock of their own,
# and the worker's start. A metrics refresh runs under `asyncio.wait_for`, in a task of its
# own whose frames do not reach the loop's, so each refresh function is named too.
NOT_THE_BRIEF = {
    ("fragrance_ai/programs/worker.py", "run_worker"),
    ("fragrance_ai/metrics/refresh.py", "_run"),
    ("fragrance_ai/http/resources.py", "refresh"),
    ("fragrance_ai/metrics/lag.py", "refresh"),
    ("fragrance_ai/jobs/sweeper.py", "run"),
    ("fragrance_ai/http/quotas.py", "renew_forever"),
    ("fragrance_ai/workers/training.py", "_sweep_forever"),
}
BRIEF = "a fresh citrus summer scent for men, woody base, under $40/kg"
# A different brief warms up, so the recorded one is not answered from the LLM cache.
WARM_UP = "a soft powdery iris and violet for winter evenings"


class CallRecorder:
    """A profile hook in every thread; it notes the module of each project function
    called while `recording` is set."""

    def __init__(self) -> None:
        self.recording = False
        self.modules: set[str] = set()
        self._roots = tuple(str(ROOT / package) for package in PACKAGES)
        self._not_the_brief = {(str(ROOT / path), name) for path, name in NOT_THE_BRIEF}

    def hook(self, frame: FrameType, event: str, arg: Any) -> None:
        if self.recording and event == "call":
            filename = frame.f_code.co_filename
            if filename.startswith(self._roots) and not self._apart_from_the_brief(frame):
                self.modules.add(str(Path(filename).relative_to(ROOT)))

    def _apart_from_the_brief(self, frame: FrameType | None) -> bool:
        # A coroutine's frame links to the one awaiting it, so the walk reaches the task's
        # outermost coroutine.
        while frame is not None:
            if (frame.f_code.co_filename, frame.f_code.co_name) in self._not_the_brief:
                return True
            frame = frame.f_back
        return False

    def install(self) -> None:
        sys.setprofile(self.hook)
        threading.setprofile(self.hook)


async def formulate(http: aiohttp.ClientSession, url: str, key: str, brief: str) -> str:
    headers = {"Authorization": f"Bearer {key}"}
    async with http.post(f"{url}/v1/formulations", json={"brief": brief}, headers=headers) as r:
        if r.status != 202:
            raise SystemExit(f"POST answered {r.status}: {await r.text()}")
        job = await r.json()
    while True:
        async with http.get(f"{url}/v1/jobs/{job['job_id']}", headers=headers) as r:
            status = (await r.json())["status"]
        if status in {"succeeded", "failed", "cancelled"}:
            return str(status)
        await asyncio.sleep(0.05)


async def new_key(database_url: str) -> str:
    from fragrance_ai.store import JobStore, Scope, open_pool

    pool = await open_pool(database_url, max_size=1)
    try:
        _, key = await JobStore(pool).create_api_key("brief-path", Scope)
    finally:
        await pool.close()
    return key


def record_the_optimiser(recorder: CallRecorder, brief: str) -> None:
    from fragrance_ai.interpreter import interpret
    from fragrance_ai.workers.optimising import all_optimisers
    from schemas.messages import FormulationOptions

    options = FormulationOptions()
    optimiser = all_optimisers(Path(tempfile.gettempdir()))[options.optimizer]
    optimiser(interpret(WARM_UP).brief, options)
    read = interpret(brief).brief
    recorder.recording = True
    optimiser(read, options)
    recorder.recording = False


async def main(args: argparse.Namespace, recorder: CallRecorder) -> None:
    from fragrance_ai.cli.programs import configured
    from fragrance_ai.embedded.broker import free_loopback_port
    from fragrance_ai.programs import dev

    settings = configured()
    settings.set("api.port", free_loopback_port())
    settings.set("metrics.llm_port", 0)  # any free port: a running system keeps its own
    settings.set("metrics.rl_port", 0)
    url = f"http://{settings.api.host}:{settings.api.port}"
    stop = asyncio.Event()
    running = asyncio.create_task(dev.run_dev(settings, stop))
    async with aiohttp.ClientSession() as http:
        while True:
            if running.done():
                running.result()
            try:
                async with http.get(f"{url}/ready") as r:
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
        key = await new_key(settings.database.url)
        print("warm-up:", await formulate(http, url, key, WARM_UP), file=sys.stderr)
        recorder.recording = True
        status = await formulate(http, url, key, args.brief)
        recorder.recording = False
    stop.set()
    await running
    record_the_optimiser(recorder, args.brief)
    by_package = Counter(Path(m).parts[0] if len(Path(m).parts) < 3 else "/".join(Path(m).parts[:2])
                         for m in recorder.modules)  # fmt: skip
    print(f"brief: {args.brief!r} -> {status}")
    for module in sorted(recorder.modules):
        print(f"  {module}")
    print("by package: " + ", ".join(f"{p} {n}" for p, n in sorted(by_package.items())))
    print(f"modules on the path: {len(recorder.modules)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brief", default=BRIEF)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="brief-path-") as data_home:
        os.environ["XDG_DATA_HOME"] = data_home
        os.environ.setdefault("APP_ENV", "development")
        recorder = CallRecorder()
        recorder.install()
        asyncio.run(main(arguments, recorder))
