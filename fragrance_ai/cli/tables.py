"""Rich tables of what the API returns: a formula grouped top/heart/base, a list of jobs,
one job's stages."""

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from schemas.formula import Formula
from schemas.jobs import JobStatus, JobSummary, JobView
from schemas.material import Role
from schemas.messages import INTERPRETING, OPTIMISING

STATUS_STYLES = {
    JobStatus.SUCCEEDED: "green",
    JobStatus.FAILED: "red",
    JobStatus.CANCELLED: "yellow",
}


def formula_table(formula: Formula) -> RenderableType:
    """Materials grouped by pyramid role with each group's share, then cost and IFRA."""
    product = formula.product.value.replace("_", " ")
    table = Table(
        title=f"Formula: {product}, {formula.concentration.value}, "
        f"{formula.dilution_percent:g}% concentrate in the product",
        title_justify="left",
    )
    table.add_column("Note")
    table.add_column("Material")
    table.add_column("Family")
    table.add_column("%", justify="right")
    for role in Role:
        group = [line for line in formula.lines if line.role is role]
        if not group:
            continue
        share = getattr(formula.pyramid, role.value)
        for index, line in enumerate(group):
            label = f"{role.value} {share:.1f}%" if index == 0 else ""
            table.add_row(label, line.name, line.family.value, f"{line.percent:.2f}")
        table.add_section()
    ifra = (
        Text(f"IFRA category {formula.ifra_category}: compliant", style="green")
        if formula.ifra_compliant
        else Text(f"IFRA category {formula.ifra_category}: NOT COMPLIANT", style="bold red")
    )
    cost = Text(
        f"Cost ${formula.cost_per_kg_concentrate:.2f}/kg concentrate, "
        f"${formula.cost_per_kg_finished:.2f}/kg finished product"
    )
    labelled = [a.name for a in formula.allergens if a.label_required]
    allergens = Text("Allergens to label: " + (", ".join(labelled) or "none"))
    score = Text(f"Score {formula.score.total:.4f}")
    return Group(table, cost, ifra, allergens, score)


def jobs_table(jobs: list[JobSummary]) -> Table:
    table = Table(title_justify="left")
    # The id whole (it is what `jobs show` takes); the brief gets what width is left.
    table.add_column("Job", no_wrap=True, min_width=36)
    table.add_column("Kind", no_wrap=True, min_width=11)
    table.add_column("Status", no_wrap=True, min_width=9)
    table.add_column("Created (UTC)", no_wrap=True, min_width=16)
    table.add_column("Brief", overflow="ellipsis", no_wrap=True, max_width=48)
    for job in jobs:
        status = Text(job.status.value, style=STATUS_STYLES.get(job.status, ""))
        table.add_row(
            str(job.id),
            job.kind.value,
            status,
            f"{job.created_at:%Y-%m-%d %H:%M}",
            job.brief_text,
        )
    return table


def job_header(job: JobView) -> Table:
    """Status, stage timings and, for a failure, its reason."""
    table = Table.grid(padding=(0, 2))
    table.add_row("Job", str(job.id))
    table.add_row("Kind", job.kind.value)
    table.add_row("Status", Text(job.status.value, style=STATUS_STYLES.get(job.status, "")))
    if job.brief_text:
        table.add_row("Brief", job.brief_text)
    for stage, timing in ((INTERPRETING, job.interpreting), (OPTIMISING, job.optimising)):
        if timing.seconds is not None:
            table.add_row(stage.capitalize(), f"{timing.seconds:.2f} s")
    if job.error:
        table.add_row("Error", Text(job.error, style="red"))
    return table
