"""python -m auditor.samples --out sample_reports --seed 7 [--scale 1]"""

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
def main(out: Path, seed: int, scale: float) -> None:
    """Write a sample seller's Seller Central reports.

    \b
    Example:
        python -m auditor.samples --out sample_reports --seed 7
    """
    seller = generate(out, seed, scale)
    click.echo(
        f"wrote {out}: {len(seller.orders):,} orders, {len(seller.ledger):,} ledger events, "
        f"{len(seller.plants)} planted cases; audit it --as-of {AS_OF}"
    )


main()
