"""`fragrance-ai submit`, `jobs list|show|cancel` and `train`: clients of a running API.

The API's URL and key come from settings: `client.api_url` and `client.api_key`, that is
FRAGRANCE_API_URL and FRAGRANCE_API_KEY. Progress and tables go to the terminal with
rich; `--json` prints only JSON, for scripts. Failures are one line (see `main`).
"""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import orjson
from rich.console import Console

from fragrance_ai.cli.tables import formula_table, job_header, jobs_table
from fragrance_ai.cli.watching import follow_formulation, follow_training
from fragrance_ai.client import ApiClient, ApiError, api_url
from fragrance_ai.config_loader import load_settings
from schemas.formula import Formula
from schemas.jobs import JobStatus, JobView
from schemas.messages import Optimizer

INTERRUPTED = 130
Command = Callable[[ApiClient, argparse.Namespace, Console], Awaitable[int]]


def with_client(command: Command) -> Callable[[argparse.Namespace], int]:
    """Run `command` against the configured API; Ctrl-C while following a job leaves the
    job running and says how to find it again."""

    def run(args: argparse.Namespace) -> int:
        settings = load_settings()
        console = Console(stderr=bool(getattr(args, "json", False)))

        async def main() -> int:
            async with ApiClient.connect(api_url(settings), str(settings.client.api_key)) as client:
                return await command(client, args, console)

        try:
            return asyncio.run(main())
        except KeyboardInterrupt:
            print("fragrance-ai: stopped following; the job goes on (fragrance-ai jobs list)",
                  file=sys.stderr)  # fmt: skip
            return INTERRUPTED

    return run


def print_json(model: Any) -> None:
    print(model.model_dump_json(indent=2))


def show_job(job: JobView, console: Console) -> None:
    console.print(job_header(job))
    if job.formula is not None:
        console.print(formula_table(Formula.model_validate(job.formula)))
    elif job.result is not None:
        console.print(job.result)


def fail_unless_succeeded(job: JobView) -> None:
    if job.status is JobStatus.FAILED:
        raise ApiError(f"job {job.id} failed: {job.error or 'no reason given'}")
    if job.status is JobStatus.CANCELLED:
        raise ApiError(f"job {job.id} was cancelled: {job.error or 'on request'}")


async def submit(client: ApiClient, args: argparse.Namespace, console: Console) -> int:
    options = {"optimizer": args.optimizer, "seed": args.seed}
    job_id = await client.submit(args.brief, options)
    if not args.watch:
        if args.json:
            print(orjson.dumps({"job_id": str(job_id)}).decode())
        else:
            console.print(f"job {job_id} queued; follow it with: fragrance-ai jobs show {job_id}")
        return 0
    if not args.json:
        console.print(f"job {job_id}")
    await follow_formulation(client, job_id, console)
    job = await client.job(job_id)
    if args.json:
        print_json(job)
    else:
        show_job(job, console)
    fail_unless_succeeded(job)
    return 0


async def list_jobs(client: ApiClient, args: argparse.Namespace, console: Console) -> int:
    jobs = await client.jobs(args.limit, args.kind)
    if args.json:
        print("[" + ",".join(job.model_dump_json() for job in jobs) + "]")
    elif jobs:
        console.print(jobs_table(jobs))
    else:
        console.print("no jobs yet: fragrance-ai submit 'a brief'")
    return 0


async def show(client: ApiClient, args: argparse.Namespace, console: Console) -> int:
    job = await client.job(args.job_id)
    if args.json:
        print_json(job)
    else:
        show_job(job, console)
    return 0


async def cancel(client: ApiClient, args: argparse.Namespace, console: Console) -> int:
    job = await client.cancel(args.job_id)
    if args.json:
        print_json(job)
    else:
        console.print(f"job {job.id} {job.status.value}")
    return 0


async def train(client: ApiClient, args: argparse.Namespace, console: Console) -> int:
    options = {"total_timesteps": args.timesteps, "num_envs": args.num_envs, "seed": args.seed}
    job_id = await client.start_training(options)
    if not args.watch:
        console.print(
            f"training run {job_id} queued; follow it with: fragrance-ai jobs show {job_id}"
        )
        return 0
    console.print(f"training run {job_id}  (Ctrl-C stops following; `jobs cancel` stops the run)")
    outcome = await follow_training(client, job_id, args.timesteps, console)
    job = await client.job(job_id)
    fail_unless_succeeded(job)
    if outcome is not None:
        evaluated = outcome.get("eval_objective")
        console.print(
            f"[green]✓[/] {outcome['run']} {outcome['status']}: {outcome['global_step']} steps"
            + (f", evaluation objective {evaluated:.4f}" if evaluated is not None else "")
        )
    return 0


def job_id_argument(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a job id: {text!r}") from None


def register(subparsers: Any) -> None:
    sub = subparsers.add_parser("submit", help="send a brief to the running API")
    sub.add_argument("brief", help='e.g. "a fresh citrus summer scent for men, under $40/kg"')
    sub.add_argument("--watch", action="store_true", help="follow its progress, then show it")
    sub.add_argument("--json", action="store_true", help="print JSON only")
    sub.add_argument("--optimizer", choices=[o.value for o in Optimizer], default="reference")
    sub.add_argument("--seed", type=int, default=0, help="seed of stochastic optimisers")
    sub.set_defaults(run=with_client(submit))

    jobs = subparsers.add_parser("jobs", help="list, show or cancel jobs of the running API")
    actions = jobs.add_subparsers(dest="jobs_command", required=True)
    listing = actions.add_parser("list", help="your newest jobs first")
    listing.add_argument("--limit", type=int, default=20, help="how many (1 to 100)")
    listing.add_argument("--kind", choices=["formulation", "training"])
    listing.add_argument("--json", action="store_true", help="print JSON only")
    listing.set_defaults(run=with_client(list_jobs))
    for name, action, words in (
        ("show", show, "a job: status, timings, formula or error"),
        ("cancel", cancel, "stop a job that has not finished"),
    ):
        one = actions.add_parser(name, help=words)
        one.add_argument("job_id", type=job_id_argument)
        one.add_argument("--json", action="store_true", help="print JSON only")
        one.set_defaults(run=with_client(action))

    training = subparsers.add_parser("train", help="start a training run on the running API")
    training.add_argument("--timesteps", type=int, default=262_144, help="environment steps")
    training.add_argument("--num-envs", type=int, default=256, help="environments stepped together")
    training.add_argument("--seed", type=int, default=1)
    training.add_argument("--watch", action="store_true", help="a progress bar of steps and reward")
    training.set_defaults(run=with_client(train))
