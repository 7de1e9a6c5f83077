"""A check that a sentence's unit counts agree with their nouns and verbs."""

from __future__ import annotations

import re

VERBS = {"was": 1, "has": 1, "is": 1, "remains": 1, "were": 2, "have": 2, "are": 2, "remain": 2}
COUNTED = re.compile(r"\b(\d+) (units?)\b([^.;:]*)")


def grammar_errors(text: str) -> list[str]:
    """Each `N unit(s)` whose noun or first verb after it does not agree with N."""
    errors = []
    for number, noun, rest in COUNTED.findall(text):
        n = int(number)
        rest = re.split(r"\b\d+ units?\b", rest)[0]  # up to the next count
        if (noun == "unit") != (n == 1):
            errors.append(f"{number} {noun}")
        verb = next((w for w in re.findall(r"[a-z]+", rest) if w in VERBS), None)
        if verb and (VERBS[verb] == 1) != (n == 1):
            errors.append(f"{number} {noun} … {verb}")
    repeated = re.search(r"(\$[\d,.]+) at \1 each", text)
    if repeated:
        errors.append(repeated.group())
    return errors
