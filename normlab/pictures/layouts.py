"""A layout recipe drawn: its code and torch check as HTML, and x in its own layout coloured by group."""

from __future__ import annotations

from html import escape

from normlab.lessons.recipes import LayoutRecipe
from normlab.pictures.svg import Picture
from normlab.pictures.viz import show_groups

__all__ = ["recipe_html", "recipe_picture"]


def recipe_html(r: LayoutRecipe) -> str:
    """The recipe as HTML: meaning, code, torch check and what the call without the permute does."""
    ok = "✓" if r.max_diff < 1e-5 else "✗"
    return (f"<p><b>{escape(r.module)} on {escape(r.layout)}</b>, x of shape {r.shape}: {escape(r.meaning)} "
            f"(dims {r.dims}).</p><pre style='white-space: pre-wrap'>{escape(r.code)}</pre>"
            f"<p>{ok} torch's layer through this code vs normlab.normalize(x, {r.dims}): "
            f"max |diff| = {r.max_diff:.1e}</p>"
            f"<p>Calling the layer on x as it is: <pre style='white-space: pre-wrap'>{escape(r.naive)}</pre></p>")


def recipe_picture(r: LayoutRecipe) -> Picture:
    """x in its own layout, one colour per group of elements that share a mean and variance."""
    return show_groups(r.x, r.dims, layout=r.layout, title=f"{r.module} on {r.layout}: {r.meaning}")
