"""Read normlab's SVG pictures back: the cells' numbers and colours, the headers and the titles."""

from __future__ import annotations

import xml.etree.ElementTree as ET

__all__ = ["parse", "cells", "texts"]

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """The SVG's root element (fails if the string is not well-formed XML)."""
    return ET.fromstring(svg)


def cells(svg: str) -> tuple[list[str], list[str]]:
    """Numbers and fill colours of every cell, in drawing order (the tensor's own order, block after block)."""
    root = parse(svg)
    numbers = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "cell"]
    fills = [r.get("fill") for r in root.iter(f"{NS}rect") if r.get("class") == "cell"]
    return numbers, fills


def texts(svg: str, cls: str | None = None) -> list[str]:
    """Every text of the picture (or those of one class, e.g. 'header')."""
    return [t.text or "" for t in parse(svg).iter(f"{NS}text") if cls is None or t.get("class") == cls]
