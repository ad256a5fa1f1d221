"""Durations, rates and counts in a few characters, for the dashboard and the admins' mails."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import filesizeformat

NOTHING = "—"


def duration_text(value: timedelta | float | None) -> str:
    """"45 s", "12 min", "3 h 05 min", "2 d 4 h"; "—" for nothing."""
    if value is None or value == "":
        return NOTHING
    seconds = round(value.total_seconds() if isinstance(value, timedelta) else float(value))
    if seconds < 60:
        return f"{max(seconds, 0)} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 60:
        return f"{minutes} min"
    if hours < 24:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{days} d {hours % 24} h"


def rate_text(bytes_per_second: float | None) -> str:
    return f"{filesizeformat(bytes_per_second)}/s" if bytes_per_second else NOTHING


def amounts_text(messages_done: int, messages_total: int, bytes_done: int, bytes_total: int) -> str:
    """"21 of 22 msgs · 426.8 KB of 2.4 MB"."""
    return (
        f"{intcomma(messages_done)} of {intcomma(messages_total)} msgs · "
        f"{filesizeformat(bytes_done)} of {filesizeformat(bytes_total)}"
    )
