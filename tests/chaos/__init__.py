"""The chaos run (issue 16): the deployed topology on the embedded parts, faults thrown
at it while it works, and the invariants that must hold once it has drained.

`tests/integration/test_chaos.py` runs a short plan in CI; `bench/chaos.py` a long one.
Both go through `scenario.run_chaos`; `topology` starts and restarts the processes,
`load` sends the jobs, `faults` breaks things, `invariants` judges the outcome.
"""
