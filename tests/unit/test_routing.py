"""The route of a job, decided in one place: each event's status, fields and next command."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from fragrance_ai.interpreter import interpret
from fragrance_ai.jobs.routing import (
    WorkerRole,
    dedup_key,
    first_dispatch,
    resume_dispatch,
    transition,
)
from fragrance_ai.optimiser import optimise
from schemas.brief import Interpretation
from schemas.jobs import JobKind, JobStatus, JobView
from schemas.messages import (
    BriefInterpreted,
    FormulaOptimized,
    FormulationOptions,
    InterpretBrief,
    JobFailed,
    OptimizeFormula,
    Optimizer,
    StageStarted,
)

BRIEF_TEXT = "a simple citrus cologne with 3 materials"
OPTIONS = FormulationOptions(optimizer=Optimizer.GA, seed=3)
JOB = uuid4()


@pytest.fixture(scope="module")
def interpretation() -> Interpretation:
    return interpret(BRIEF_TEXT)


def test_a_job_starts_with_the_llm_worker_interpreting_its_text() -> None:
    dispatch = first_dispatch(JOB, BRIEF_TEXT, OPTIONS)

    assert dispatch.role is WorkerRole.LLM
    assert dispatch.command == InterpretBrief(
        job_id=JOB, text=BRIEF_TEXT, options=OPTIONS, at=dispatch.command.at
    )


@pytest.mark.parametrize(
    ("stage", "status"),
    [("interpreting", JobStatus.INTERPRETING), ("optimising", JobStatus.OPTIMISING)],
)
def test_a_started_stage_moves_the_job_counts_an_attempt_and_dispatches_nothing(
    stage: str, status: JobStatus
) -> None:
    step = transition(StageStarted(job_id=JOB, stage=stage), OPTIONS)  # type: ignore[arg-type]

    assert (step.status, step.fields, step.dispatch) == (status, {}, None)
    assert step.counts_attempt


def test_an_interpreted_brief_is_stored_and_sent_to_the_rl_worker_with_the_jobs_options(
    interpretation: Interpretation,
) -> None:
    step = transition(BriefInterpreted(job_id=JOB, interpretation=interpretation), OPTIONS)

    assert step.status is JobStatus.OPTIMISING
    assert step.fields == {"brief": interpretation.brief.model_dump(mode="json")}
    assert step.dispatch is not None and step.dispatch.role is WorkerRole.RL
    command = step.dispatch.command
    assert isinstance(command, OptimizeFormula)
    assert (command.job_id, command.brief, command.options) == (JOB, interpretation.brief, OPTIONS)


def test_an_optimised_formula_ends_the_job(interpretation: Interpretation) -> None:
    formula = optimise(interpretation.brief).formula
    event = FormulaOptimized(
        job_id=JOB, formula=formula, optimizer=Optimizer.REFERENCE, duration_s=0.1
    )

    step = transition(event, OPTIONS)

    assert step.status is JobStatus.SUCCEEDED
    assert step.fields == {"formula": formula.model_dump(mode="json")}
    assert step.dispatch is None


def test_a_failure_names_the_stage_in_the_jobs_error() -> None:
    step = transition(JobFailed(job_id=JOB, stage="optimising", reason="budget too low"), OPTIONS)

    assert (step.status, step.fields, step.dispatch) == (
        JobStatus.FAILED,
        {"error": "optimising: budget too low"},
        None,
    )


def test_each_stage_answers_once_so_repeats_share_a_dedup_key(
    interpretation: Interpretation,
) -> None:
    started = [
        StageStarted(job_id=JOB, stage=s, worker="w-1") for s in ("interpreting", "optimising")
    ]
    redelivered = StageStarted(job_id=JOB, stage="interpreting", worker="w-1")
    interpreted = BriefInterpreted(job_id=JOB, interpretation=interpretation)
    reinterpreted = BriefInterpreted(job_id=JOB, interpretation=interpretation, details={"x": 1})

    assert dedup_key(started[0]) == dedup_key(redelivered)
    retried = StageStarted(job_id=JOB, stage="interpreting", worker="w-1", attempt=2)
    assert dedup_key(retried) != dedup_key(started[0]), "a retry is an attempt of its own"
    assert dedup_key(interpreted) == dedup_key(reinterpreted)
    assert len({dedup_key(e) for e in [*started, interpreted]}) == 3


def job_view(brief: dict[str, object] | None) -> JobView:
    now = datetime.now(UTC)
    return JobView(
        id=JOB, kind=JobKind.FORMULATION, status=JobStatus.INTERPRETING, created_at=now,
        updated_at=now, brief_text=BRIEF_TEXT, options=OPTIONS.model_dump(mode="json"),
        brief=brief,
    )  # fmt: skip


def test_a_job_without_a_brief_resumes_at_interpreting() -> None:
    dispatch = resume_dispatch(job_view(None))

    assert dispatch.role is WorkerRole.LLM
    assert isinstance(dispatch.command, InterpretBrief)
    assert (dispatch.command.text, dispatch.command.options) == (BRIEF_TEXT, OPTIONS)


def test_a_job_with_its_brief_resumes_at_optimising(interpretation: Interpretation) -> None:
    dispatch = resume_dispatch(job_view(interpretation.brief.model_dump(mode="json")))

    assert dispatch.role is WorkerRole.RL
    assert isinstance(dispatch.command, OptimizeFormula)
    assert dispatch.command.brief == interpretation.brief
    assert dispatch.command.options == OPTIONS
