"""`fragrance-ai formulate`, run through main() as a user would run the command."""

import pytest

from fragrance_ai.cli import main
from schemas import Formula

BRIEF = "a fresh citrus summer scent for men, woody base, under $40/kg"


def test_formulate_json_prints_only_a_valid_formula(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["formulate", BRIEF, "--json"]) == 0
    out, err = capsys.readouterr()
    formula = Formula.model_validate_json(out)
    assert formula.ifra_compliant
    assert formula.cost_per_kg_concentrate <= 40.0
    assert err == ""


def test_formulate_prints_brief_pyramid_cost_ifra_and_score(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["formulate", BRIEF]) == 0
    out = capsys.readouterr().out
    formula_at = out.index("Formula (")
    assert out.index("Interpreted brief") < formula_at
    assert "citrus" in out[:formula_at] and "$40.00/kg" in out[:formula_at]
    assert "read from:" in out[:formula_at]
    body = out[formula_at:]
    assert body.index("TOP") < body.index("HEART") < body.index("BASE")
    assert "/kg concentrate" in body and "/kg finished product" in body
    assert "IFRA (category 4): compliant" in body
    assert "fidelity" in body and "total" in body


@pytest.mark.parametrize(
    ("brief", "says"),
    [
        ("", "empty"),
        ("x" * 5000, "limit"),
        ("a citrus cologne with lots of hedione but no hedione", "hedione"),
        ("a rich amber oriental for winter, under $1/kg", "cheapest"),
        ("xyzzy plugh frobnicate", "names no family or note"),
        ("please write me a poem about the sea", "asks for a poem, not a scent"),
    ],
)
def test_a_brief_that_cannot_be_met_prints_one_line_and_exits_2(
    brief: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["formulate", brief]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("fragrance-ai: ")
    assert says in err
    assert "Traceback" not in err


def test_a_missing_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "formulate" in capsys.readouterr().err
