"""python -m auditor.samples --out sample_reports --seed 7 [--scale 1] [--through DATE]
[--marketplace us-2026|uk|de]"""

import tempfile
from pathlib import Path

import click

from auditor.samples import AS_OF, generate
from auditor.samples.copies import write_copies
from auditor.samples.marketplaces import MARKETS, generate_market


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
@click.option(
    "--copies",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Write the seller this many times over, each copy with its own SKUs, orders and "
    "shipments (auditor/samples/copies.py); its findings are the sample's times this.",
)
@click.option(
    "--marketplace",
    type=click.Choice(sorted(MARKETS)),
    default=None,
    help="Write instead a seller of this marketplace for the fee rules "
    "(auditor/samples/marketplaces.py).",
)
def main(out: Path, seed: int, scale: float, through, copies: int, marketplace) -> None:
    """Write a sample seller's Seller Central reports.

    \b
    Example:
        python -m auditor.samples --out sample_reports --seed 7
        python -m auditor.samples --out big --copies 1900   # 10 million ledger rows
        python -m auditor.samples --out uk-seller --marketplace uk
    """
    if marketplace:
        market = generate_market(marketplace, out, seed)
        click.echo(f"wrote {out}: a {market.name} seller; audit it --as-of {market.as_of}")
        return
    day = through.date() if through else AS_OF
    if copies > 1:
        with tempfile.TemporaryDirectory() as one:
            seller = generate(Path(one), seed, scale, day)
            rows = write_copies(Path(one), out, copies)
        click.echo(
            f"wrote {out}: {copies:,} copies of a seller with {len(seller.orders):,} orders, "
            f"{rows:,} rows; audit it --as-of {day}"
        )
        return
    seller = generate(out, seed, scale, day)
    click.echo(
        f"wrote {out}: {len(seller.orders):,} orders, {len(seller.ledger):,} ledger events, "
        f"{len(seller.plants)} planted cases; audit it --as-of {day}"
    )


main()
