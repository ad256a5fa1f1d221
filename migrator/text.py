"""The engine's sentences for people, written in English as templates with named values:

    say("{host} does not resolve ({reason}).", host=host, reason=reason)

`make lint` collects every template written this way into the German catalogue, and the wizard
finds a finished sentence's template again to show it in the reader's language
(wizard.recorded). So a template is a literal string, its fields are plain names, and a value
with a format of its own (a size, a rate) is formatted before it is passed. Values are shown as
they are (a folder name is a name in every language), except a field named `…_label`, which
holds a text of the interface in English and is translated with the rest."""

from __future__ import annotations


def say(template: str, /, **values: object) -> str:
    return template.format(**values)
