"""A tiny HTML builder: elements from tags, text always escaped, raw HTML only on purpose."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

__all__ = ["Raw", "el", "render"]


@dataclass(frozen=True)
class Raw:
    """Trusted markup (scripts, JSON) inserted as is."""

    html: str


_VOID = {"meta", "link", "br", "hr", "img", "input"}
Child = "str | int | float | Raw | Element | None | Iterable[Child]"


@dataclass(frozen=True)
class Element:
    tag: str
    attrs: dict[str, str | bool | None]
    children: tuple[object, ...]


def el(tag: str, attrs: dict[str, str | bool | None] | None = None, *children: object) -> Element:
    return Element(tag, attrs or {}, children)


def _attrs(attrs: dict[str, str | bool | None]) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(f" {key}")
        else:
            parts.append(f' {key}="{escape(str(value), quote=True)}"')
    return "".join(parts)


def render(node: object) -> str:
    out: list[str] = []
    _render(node, out)
    return "".join(out)


def _render(node: object, out: list[str]) -> None:
    if node is None:
        return
    if isinstance(node, Raw):
        out.append(node.html)
    elif isinstance(node, Element):
        out.append(f"<{node.tag}{_attrs(node.attrs)}>")
        if node.tag in _VOID:
            return
        for child in node.children:
            _render(child, out)
        out.append(f"</{node.tag}>")
    elif isinstance(node, str):
        out.append(escape(node, quote=False))
    elif isinstance(node, (int, float)):
        out.append(escape(str(node)))
    elif isinstance(node, Iterable):
        for child in node:
            _render(child, out)
    else:
        out.append(escape(str(node)))
