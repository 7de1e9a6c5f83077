"""The README's generated parts match the code."""

from auditor import docs


def test_readme_is_current():
    text = docs.README.read_text(encoding="utf-8")
    assert docs.render(text) == text, "README.md is stale: run python -m auditor.docs"


def test_readme_names_every_report():
    text = docs.README.read_text(encoding="utf-8")
    for report in docs.REPORTS:
        assert f"`{report.key}`" in text
