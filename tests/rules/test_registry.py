"""The rule registry: ordered, unique, documented, and the README's table is current."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from rules.base import DOC_SECTIONS
from rules.registry import MODULES, RULES


def test_codes_are_unique_ordered_and_match_file_names():
    codes = [r.code for r in RULES]
    assert codes[:10] == [f"R{n:02d}" for n in range(1, 11)]
    assert codes == sorted(set(codes))  # in code order, none twice
    for module, rule in zip(MODULES, RULES, strict=True):
        assert Path(module.__file__).name.startswith(rule.code.lower() + "_")
        assert rule.slug.split(".")[1] in Path(module.__file__).stem


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_docstring_has_every_section(rule):
    assert rule.doc.startswith(f"{rule.code} {rule.slug}")
    for section in DOC_SECTIONS:
        assert f"\n{section}:\n" in rule.doc, section


def test_rules_command_lists_every_rule():
    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == [r.code for r in RULES]


def test_rule_command_prints_documentation():
    result = CliRunner().invoke(main, ["rule", "r04"])
    assert result.exit_code == 0
    assert result.output.startswith("R04 inbound.shortage")
    assert "Window:" in result.output


def test_unknown_rule_is_a_clear_error():
    result = CliRunner().invoke(main, ["rule", "R99"])
    assert result.exit_code == 1
    assert "no rule R99; the rules are R01" in result.output
