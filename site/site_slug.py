"""Heading anchors for the course website, as JupyterLab makes them."""

__all__ = ["jupyterlab_slug"]


def jupyterlab_slug(heading: str) -> str:
    """'Course map' -> 'Course-map': JupyterLab keeps the case and turns spaces into hyphens."""
    return heading.strip().replace(" ", "-")
