"""The chaos run at full size (issue 16): 2 API processes, 3 LLM workers and 2 RL
workers on an embedded Tansu and an embedded PostgreSQL this script starts; 1,000
formulation jobs and 3 training runs sent while a random process is killed with SIGKILL
every few seconds, the broker is stopped with SIGSTOP for 30 s, PostgreSQL is restarted
and every process is restarted in turn with SIGTERM. Then it waits for the system to
drain and checks the invariants (tests/chaos/invariants.py), and prints the counts.

The LLM workers read briefs with the interpreter's rules alone (no SmolLM2), so three of
them fit a small machine; the model's own tests are elsewhere.

Run: python bench/chaos.py [--jobs 1000] [--load-s 120] [--kill-every-s 4] [--keep DIR]
Exit status 1 when an invariant was broken (the processes' logs are then printed).
"""

import argparse
import asyncio
import sys
import tempfile
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the chaos machinery
from tests.chaos.scenario import ChaosPlan, run_chaos


def main() -> int:
    defaults = ChaosPlan()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for f in fields(ChaosPlan):
        flag = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            parser.add_argument(flag, type=type(default), default=default)
    parser.add_argument("--keep", type=Path, help="keep the data and logs in this folder")
    args = parser.parse_args()
    plan = ChaosPlan(**{f.name: getattr(args, f.name) for f in fields(ChaosPlan)})
    print(f"plan: {plan}", flush=True)
    with tempfile.TemporaryDirectory(prefix="fragrance-chaos-") as scratch:
        root = args.keep or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        report = asyncio.run(run_chaos(plan, root))
    print(*report.timeline, sep="\n")
    print(*report.lines(), sep="\n")
    if report.verdict.violations:
        print(report.logs, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
