"""The RL worker's stage, run in this process: a formula for a brief, and a failed job
with the reason when the chosen optimiser cannot serve it."""

import uuid
from pathlib import Path

from fragrance_ai.interpreter import interpret
from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.workers.optimising import OptimisingStage, all_optimisers, reference_optimiser
from schemas.brief import Brief
from schemas.formula import Formula
from schemas.messages import (
    FormulaOptimized,
    FormulationOptions,
    JobFailed,
    OptimizeFormula,
    Optimizer,
)

BRIEF = interpret("a fresh citrus cologne for summer").brief


def _command(optimizer: Optimizer) -> OptimizeFormula:
    return OptimizeFormula(
        job_id=uuid.uuid4(), brief=BRIEF, options=FormulationOptions(optimizer=optimizer)
    )


async def test_the_reference_optimiser_makes_the_formula_of_the_brief() -> None:
    stage = OptimisingStage(all_optimisers(Path("unused")), RetryPolicy(max_attempts=1))
    command = _command(Optimizer.REFERENCE)
    event = await stage.run(command)
    assert isinstance(event, FormulaOptimized)
    assert event.job_id == command.job_id
    assert event.optimizer is Optimizer.REFERENCE
    assert event.formula == reference_optimiser(BRIEF, command.options)
    assert event.duration_s >= 0


async def test_no_promoted_policy_fails_the_job_at_once_with_the_reason(tmp_path: Path) -> None:
    stage = OptimisingStage(all_optimisers(tmp_path), RetryPolicy(max_attempts=3, backoff_s=60))
    event = await stage.run(_command(Optimizer.POLICY))
    assert isinstance(event, JobFailed)
    assert event.stage == "optimising"
    assert "no trained policy is served yet" in event.reason


async def test_an_optimiser_this_worker_lacks_fails_the_job_naming_those_it_has() -> None:
    stage = OptimisingStage({Optimizer.REFERENCE: reference_optimiser}, RetryPolicy())
    event = await stage.run(_command(Optimizer.GA))
    assert isinstance(event, JobFailed)
    assert event.reason == ("optimizer 'ga' is not available on this worker (available: reference)")


def _crashing(brief: Brief, options: FormulationOptions) -> Formula:
    raise MemoryError("worker 10.0.3.8 ran out of memory at /srv/tables")


async def test_an_optimiser_that_keeps_failing_tells_the_user_little_and_operators_why() -> None:
    stage = OptimisingStage(
        {Optimizer.REFERENCE: _crashing}, RetryPolicy(max_attempts=2, backoff_s=0.0)
    )
    event = await stage.run(_command(Optimizer.REFERENCE))
    assert isinstance(event, JobFailed)
    assert event.reason == "gave up after 2 attempt(s) on an internal error; try again later"
    assert "10.0.3.8" in event.detail and "/srv/tables" in event.detail
