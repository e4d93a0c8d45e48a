"""What can make a valid brief impossible to formulate; each message says what was wrong.

A brief at fault in itself (an unknown material, a contradiction) raises
interpreter.errors' BriefError, wherever it is found: catch both at a job's edge."""


class FormulationError(ValueError):
    """The brief cannot be turned into a compliant formula."""


class NoCandidatesError(FormulationError):
    """The brief's exclusions leave no material to formulate with."""


class BudgetTooLowError(FormulationError):
    """No compliant formula can be made within the brief's budget."""

    def __init__(self, budget_per_kg: float, cheapest_per_kg: float) -> None:
        self.budget_per_kg = budget_per_kg
        self.cheapest_per_kg = cheapest_per_kg
        super().__init__(
            f"no compliant formula costs under ${budget_per_kg:.2f}/kg: the cheapest meeting "
            f"the brief's constraints costs ${cheapest_per_kg:.2f}/kg"
        )
