"""The job state machine: forward only, terminal states final."""

import itertools
import re
from importlib import resources

import pytest

from schemas.jobs import ALLOWED_MOVES, UNFINISHED, JobKind, JobStatus, can_move, sources_of

ORDER = list(JobStatus)  # declaration order is the life of a job
TERMINAL = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}


def test_the_happy_path_of_a_formulation_is_allowed_step_by_step():
    path = ["queued", "interpreting", "optimising", "succeeded"]
    assert all(can_move(JobStatus(a), JobStatus(b)) for a, b in itertools.pairwise(path))


def test_a_training_job_may_skip_interpretation():
    assert can_move(JobStatus.QUEUED, JobStatus.OPTIMISING)


@pytest.mark.parametrize("current, target", list(itertools.product(JobStatus, JobStatus)))
def test_no_move_goes_backwards_or_stays_put(current, target):
    if ORDER.index(target) <= ORDER.index(current):
        assert not can_move(current, target)


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_terminal_states_are_final(terminal):
    assert terminal.is_terminal
    assert not any(can_move(terminal, target) for target in JobStatus)


@pytest.mark.parametrize("unfinished", UNFINISHED)
def test_any_unfinished_job_can_fail_or_be_cancelled(unfinished):
    assert can_move(unfinished, JobStatus.FAILED)
    assert can_move(unfinished, JobStatus.CANCELLED)


def test_success_only_comes_out_of_optimisation():
    assert sources_of(JobStatus.SUCCEEDED) == (JobStatus.OPTIMISING,)
    assert not can_move(JobStatus.QUEUED, JobStatus.SUCCEEDED)
    assert not can_move(JobStatus.INTERPRETING, JobStatus.SUCCEEDED)


def test_sources_of_agrees_with_the_table():
    for target in JobStatus:
        expected = {source for source, targets in ALLOWED_MOVES.items() if target in targets}
        assert set(sources_of(target)) == expected


def test_unfinished_states_are_exactly_the_non_terminal_ones():
    assert set(UNFINISHED) == set(JobStatus) - TERMINAL


def test_the_database_accepts_exactly_the_statuses_and_kinds_of_the_schema():
    sql = resources.files("fragrance_ai.store").joinpath("migrations/0001_initial.sql")
    text = sql.read_text()
    status_check = re.search(r"status\s+text.*?CHECK \(status IN\s*\((.*?)\)\)", text, re.S)
    kind_check = re.search(r"kind\s+text.*?CHECK \(kind IN \((.*?)\)\)", text, re.S)
    assert status_check and kind_check
    assert set(re.findall(r"'(\w+)'", status_check[1])) == {s.value for s in JobStatus}
    assert set(re.findall(r"'(\w+)'", kind_check[1])) == {k.value for k in JobKind}


def test_unknown_status_names_are_rejected_with_the_value_in_the_message():
    with pytest.raises(ValueError, match="'done'"):
        JobStatus("done")
