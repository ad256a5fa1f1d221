"""Formatting for the dashboard: durations, rates, and links that keep the page's filters."""

from __future__ import annotations

from datetime import timedelta

from django import template

from wizard.units import duration_text, rate_text

register = template.Library()


@register.filter
def duration(value: timedelta | float | None) -> str:
    """"45 s", "12 min", "3 h 05 min", "2 d 4 h"; "—" for nothing."""
    return duration_text(value)


@register.filter
def rate(bytes_per_second: float | None) -> str:
    return rate_text(bytes_per_second)


@register.simple_tag
def query(params, **changes) -> str:
    """The page's query string with some parameters changed (None drops one)."""
    merged = params.copy()
    for name, value in changes.items():
        if value is None or value == "":
            merged.pop(name, None)
        else:
            merged[name] = value
    encoded = merged.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def sort_query(params, key: str, default: str = "state") -> str:
    """A column header's link: sort by `key`, or the other way round when it sorts so already;
    back to the first page."""
    current = params.get("sort", default)
    merged = params.copy()
    merged["sort"] = f"-{key}" if current == key else key
    merged.pop("page", None)
    return f"?{merged.urlencode()}"


@register.simple_tag
def sort_mark(params, key: str, default: str = "state") -> str:
    current = params.get("sort", default)
    return "▲" if current == key else "▼" if current == f"-{key}" else ""
