"""Text kept as written in English (a check's sentence, a worker's error, an audit entry) in
the reader's language. A text the catalogue has (a gettext_noop) is translated as such. The
engine writes its sentences with migrator.text.say: the template of a finished sentence is found
again by matching, its German said with the same values, and values that are sentences of the
engine themselves are said in German too. Other values (a host, a folder, a user) stay as they
are, except a field whose name ends in `_label`: it holds a label of the interface (a step's
title, a status) and is looked up in the catalogue."""

from __future__ import annotations

import ast
import re
import string
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from django.utils import formats
from django.utils.translation import get_language, gettext

import migrator
import wizard

SOURCES = (Path(migrator.__file__).parent, Path(wizard.__file__).parent)
# A number with a fraction, alone or before its unit ("3.5", "3.5 GB", "0.8 MB/s"), as a value.
DECIMAL = re.compile(r"(\d+\.\d+)((?: ?[A-Za-z%/]{1,5})?)")
# Between the sentences of a text joined from several: after a full stop, before a capital.
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])")


def recorded(text: str) -> str:
    if not text or not isinstance(text, str) or (get_language() or "en").startswith("en"):
        return text
    translated = gettext(text)
    if translated != text:
        return translated
    whole = _reading(text)
    parts = SENTENCE_BREAK.split(text)
    if len(parts) > 1 and sum(_explained(part) for part in parts) > _explained(text):
        return " ".join(recorded(part) for part in parts)
    return _say(whole) if whole else text


class Reading(NamedTuple):
    """A text read as a say() of `template` with `values`; `explained` counts the characters of
    literal template text in it, its values' own readings included."""

    explained: int
    template: str
    values: tuple[tuple[str, str], ...]


@lru_cache(maxsize=20_000)
def _reading(text: str) -> Reading | None:
    """The reading of the text that explains most of it: "the source server {server}" and
    "{server} refused {doing}: {reason}" may both match, and the second, whose values are
    sentences of the engine too, is the one the engine wrote."""
    best = None
    for template, pattern, anchor, literal in templates():
        if anchor not in text:
            continue
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = tuple(match.groupdict().items())
        explained = literal + sum(
            _explained(value) for name, value in values if not name.endswith("_label")
        )
        if best is None or explained > best.explained:
            best = Reading(explained, template, values)
    return best


def _explained(text: str) -> int:
    reading = _reading(text)
    return reading.explained if reading else 0


def _say(reading: Reading) -> str:
    values = {
        name: gettext(value) if name.endswith("_label") else _value(value)
        for name, value in reading.values
    }
    return gettext(reading.template).format(**values)


def _value(value: str) -> str:
    reading = _reading(value)
    if reading:
        return _say(reading)
    decimal = DECIMAL.fullmatch(value)
    if decimal:
        return formats.number_format(decimal[1]) + decimal[2]
    return value


@cache
def templates() -> list[tuple[str, re.Pattern, str, int]]:
    """(template, its pattern, its longest literal part, the length of its literal text) of
    every say() in the code."""
    found = {template for folder in SOURCES for template in _templates_in(folder)}
    entries = []
    for template in sorted(found):
        literals = [part for part, *_ in string.Formatter().parse(template)]
        entries.append(
            (template, _pattern(template), max(literals, key=len), len("".join(literals)))
        )
    return entries


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

