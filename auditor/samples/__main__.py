"""python -m auditor.samples --out sample_reports --seed 7 [--scale 1] [--through DATE]"""

from pathlib import Path

import click

from auditor.samples import AS_OF, generate


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the reports into (its old reports are replaced).",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option(
    "--scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Order volume multiplier, for benchmarks.",
)
@click.option(
    "--through",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help=f"Write the reports as a seller downloaded them on this day (default {AS_OF}).",
)
def main(out: Path, seed: int, scale: float, through) -> None:
    """Write a sample seller's Seller Central reports.

    \b
    Example:
        python -m auditor.samples --out sample_reports --seed 7
    """
    day = through.date() if through else AS_OF
    seller = generate(out, seed, scale, day)
    click.echo(
        f"wrote {out}: {len(seller.orders):,} orders, {len(seller.ledger):,} ledger events, "
        f"{len(seller.plants)} planted cases; audit it --as-of {day}"
    )


main()
