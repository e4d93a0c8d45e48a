"""Following a job's event stream in the terminal: one line per finished stage, a spinner
for the stage in progress, a progress bar of steps and reward for a training run."""

from datetime import datetime
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fragrance_ai.client import ApiClient, ServerEvent
from schemas.messages import INTERPRETING, OPTIMISING

STAGE_WORDS: dict[str, str] = {
    INTERPRETING: "interpreting the brief",
    OPTIMISING: "optimising the formula",
}


def _at(event: ServerEvent) -> datetime | None:
    raw = event.data.get("at")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


def _since(start: datetime | None, event: ServerEvent) -> str:
    end = _at(event)
    return f"{(end - start).total_seconds():.2f} s" if start and end else ""


async def follow_formulation(client: ApiClient, job_id: UUID, console: Console) -> None:
    """Show each stage as the stream reports it, until the job's last event."""
    started: datetime | None = None
    with console.status("queued, waiting for a worker") as status:
        async for event in client.events(job_id):
            match event.type:
                case "stage_started":
                    started = _at(event)
                    stage = str(event.data.get("stage"))
                    status.update(STAGE_WORDS.get(stage, stage))
                case "brief_interpreted":
                    console.print(f"[green]✓[/] brief interpreted      {_since(started, event)}")
                case "formula_optimized":
                    optimizer = event.data.get("optimizer", "")
                    console.print(
                        f"[green]✓[/] formula optimised      {_since(started, event)}"
                        f"  ({optimizer})"
                    )
                case "job_failed":
                    console.print(f"[red]✗[/] failed while {event.data.get('stage', 'working')}")
                case "job_cancelled":
                    console.print("[yellow]✗[/] cancelled")


def _training_figures(progress: dict[str, Any]) -> str:
    entropy = progress.get("entropy")
    return (
        f"reward {progress['mean_return']:.3f}"
        + (f"  entropy {entropy:.3f}" if entropy is not None else "")
        + f"  best objective {progress['best_objective']:.3f}"
    )


async def follow_training(
    client: ApiClient, job_id: UUID, total_steps: int, console: Console
) -> dict[str, Any] | None:
    """A bar of environment steps with the latest reward; the run's outcome, if it ended
    with one."""
    columns = (
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps  {task.fields[figures]}"),
        TimeElapsedColumn(),
    )
    outcome: dict[str, Any] | None = None
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("training", total=total_steps, figures="waiting for a worker")
        async for event in client.events(job_id):
            if event.type == "training_progressed":
                progress = event.data["progress"]
                bar.update(
                    task, completed=progress["global_step"], figures=_training_figures(progress)
                )
            elif event.type == "policy_trained":
                outcome = event.data["outcome"]
                bar.update(task, completed=outcome["global_step"])
    return outcome
