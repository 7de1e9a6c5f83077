"""Parts of README.md generated from the code, so they cannot drift from it.

python -m auditor.docs          rewrite the generated parts of README.md
python -m auditor.docs --check  exit 1 when README.md is stale
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from auditor.reports import REPORTS

README = Path(__file__).resolve().parent.parent / "README.md"


def reports_table() -> str:
    lines = [
        "| report | where a seller downloads it | rules that need it |",
        "|---|---|---|",
    ]
    for report in REPORTS:
        lines.append(
            f"| `{report.key}`: {report.title} | {report.where_to_download} | {report.rules} |"
        )
    return "\n".join(lines)


def rules_table() -> str:
    from rules.registry import RULES

    lines = ["| code | name | what it flags | reports it needs |", "|---|---|---|---|"]
    for rule in RULES:
        needs = ", ".join(" or ".join(group) for group in rule.needs)
        lines.append(f"| {rule.code} | `{rule.slug}` | {rule.title} | {needs} |")
    return "\n".join(lines)


SECTIONS = {"reports": reports_table, "rules": rules_table}


def render(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def main(argv: list[str]) -> int:
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print("README.md is stale: run python -m auditor.docs", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
