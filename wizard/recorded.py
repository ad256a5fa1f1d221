"""Text kept as written in English (a check's sentence, a worker's error, an audit entry) in
the reader's language. The engine writes its sentences with migrator.text.say: the template of a
finished sentence is found again by matching, its German said with the same values, and values
that are sentences of the engine themselves are said in German too. Other values (a host, a
folder, a user) stay as they are, except a field whose name ends in `_label`: it holds a label of
the interface (a step's title, a status) and is looked up in the catalogue."""

from __future__ import annotations

import ast
import re
import string
from functools import cache
from pathlib import Path

from django.utils import formats
from django.utils.translation import get_language, gettext

import migrator
import wizard

SOURCES = (Path(migrator.__file__).parent, Path(wizard.__file__).parent)
DECIMAL = re.compile(r"\d+\.\d+")
# Between the sentences of a text joined from several: after a full stop, before a capital.
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])")


def recorded(text: str) -> str:
    if not text or not isinstance(text, str) or (get_language() or "en").startswith("en"):
        return text
    said = _said(text)
    if said is not None:
        return said
    parts = SENTENCE_BREAK.split(text)
    if len(parts) > 1 and any(_said(part) is not None for part in parts):
        return " ".join(recorded(part) for part in parts)
    return gettext(text)


def _said(text: str) -> str | None:
    """The text in the reader's language if the engine wrote it with say(), else None."""
    for template, pattern, anchor in templates():
        if anchor not in text:
            continue
        match = pattern.fullmatch(text)
        if match:
            values = {
                name: gettext(value) if name.endswith("_label") else _value(value)
                for name, value in match.groupdict().items()
            }
            return gettext(template).format(**values)
    return None


def _value(value: str) -> str:
    said = _said(value)
    if said is not None:
        return said
    return formats.number_format(value) if DECIMAL.fullmatch(value) else value


@cache
def templates() -> list[tuple[str, re.Pattern, str]]:
    """(template, its pattern, its longest literal part) of every say() in the code, the most
    specific first."""
    found = {template for folder in SOURCES for template in _templates_in(folder)}
    literals = {t: [part for part, *_ in string.Formatter().parse(t)] for t in found}
    return [
        (template, _pattern(template), max(literals[template], key=len))
        for template in sorted(found, key=lambda t: (-len("".join(literals[t])), t))
    ]


def _templates_in(folder: Path):
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "say"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                yield node.args[0].value


def _pattern(template: str) -> re.Pattern:
    parts, seen = [], set()
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is None:
            continue
        parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.+?)")
        seen.add(field)
    return re.compile("".join(parts), re.DOTALL)

