"""`fba-audit rates`, `fba-audit rules` and `fba-audit rule`: what is built in."""

from __future__ import annotations

import click

from auditor.cli.app import main
from auditor.fees import builtin_cards, builtin_schedules, in_force
from rules.registry import BY_CODE, RULES


@main.command(name="rates")
def rates_command() -> None:
    """List the fee cards and referral schedules built in, by marketplace and the days each
    applies to (a peak season's card holds its days). Pass your own with run --rates or
    --referral to correct or extend them."""
    for card in in_force(builtin_cards()):
        unknown = " (fees not known: not checked)" if card.data.get("fees_unknown") else ""
        click.echo(
            f"fee card  {card.marketplace}  {card.effective_from} to "
            f"{card.effective_to or 'open'}  {card.name} ({card.source}){unknown}"
        )
    for schedule in in_force(builtin_schedules()):
        click.echo(
            f"referral  {schedule.marketplace}  {schedule.effective_from} to "
            f"{schedule.effective_to or 'open'}  {schedule.source}"
        )


@main.command(name="rules")
def rules_command() -> None:
    """List the rules, in the order they run.

    \b
    Example:
        fba-audit rules
    """
    for rule in RULES:
        click.echo(f"{rule.code}  {rule.slug:40}  {rule.title}")


@main.command(name="rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Print one rule's documentation.

    \b
    Example:
        fba-audit rule R04
    """
    rule = BY_CODE.get(code.upper())
    if rule is None:
        raise click.ClickException(
            f"no rule {code}; the rules are {', '.join(BY_CODE)} (see fba-audit rules)"
        )
    click.echo(rule.doc.strip())


if __name__ == "__main__":
    main()
