"""Reading the regulatory tables: CSV rows that must each say where their figures came from."""

import csv
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path


class RegulationDataError(ValueError):
    """A row of a regulatory table is invalid; the message names the file, line and field."""


def cas_check_digit_ok(cas: str) -> bool:
    """CAS numbers end in a check digit: the other digits, weighted 1, 2, 3... from
    the right, summed modulo 10. It catches most mistyped numbers."""
    digits = cas.replace("-", "")
    if not digits.isdigit() or len(digits) < 5:
        return False
    weighted = sum(i * int(d) for i, d in enumerate(reversed(digits[:-1]), start=1))
    return weighted % 10 == int(digits[-1])


def shipped(name: str) -> Path:
    """A table shipped in this package."""
    return Path(str(resources.files(__package__) / name))


def read_rows(
    path: Path, columns: Sequence[str], sourced: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) for each row of `path`, whose header must hold `columns` (others are
    allowed after them); a row with any of the `sourced` columns empty is refused."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or ())]
            if missing:
                raise RegulationDataError(
                    f"{path.name} line 1: missing column(s) {', '.join(missing)}"
                )
            for row in reader:
                cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
                for column in sourced:
                    if not cells.get(column):
                        raise fail(path, reader.line_num, column, "every row must name its source")
                yield reader.line_num, cells
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RegulationDataError(f"cannot read {path}: {exc}") from None


def fail(path: Path, line: int, field: str, problem: str) -> RegulationDataError:
    return RegulationDataError(f"{path.name} line {line}: field {field}: {problem}")


def cas_list(path: Path, line: int, field: str, text: str) -> tuple[str, ...]:
    """Semicolon-separated CAS numbers, each checked."""
    numbers = tuple(c.strip() for c in text.split(";") if c.strip())
    for number in numbers:
        if not cas_check_digit_ok(number):
            raise fail(path, line, field, f"{number} is not a valid CAS number")
    return numbers


def percent(path: Path, line: int, field: str, text: str, *, allow_zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise fail(path, line, field, f"not a number: {text!r}") from None
    if not (0 <= value <= 100) or (value == 0 and not allow_zero):
        raise fail(
            path,
            line,
            field,
            f"must be a percentage {'0' if allow_zero else 'above 0'}-100, got {value}",
        )
    return value
