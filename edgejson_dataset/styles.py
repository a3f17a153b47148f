"""Which text styles each split uses, the training-only ``outline`` style, and one ``render`` for every style.

- :data:`STYLES` (:mod:`edgejson_dataset.surface`): every split but ``test_styles``;
- :data:`TRAIN_STYLES`: those and ``outline`` (indented label blocks: nested objects under their label, list items
  one a line, array items as blocks) in ``train`` of every config;
- :data:`HELD_OUT_STYLES` (:mod:`edgejson_dataset.held_out_styles`): ``test_styles`` only; the build fails if one
  reaches another split.

Usage: ``text = render(spec, obj, style_for("train", n), rng)``
"""

from __future__ import annotations

import random
from typing import Any

from edgejson_dataset.held_out_styles import HELD_OUT_RENDERERS
from edgejson_dataset.spec import Spec
from edgejson_dataset.surface import RENDERERS, STYLES, Node, _render, _unit, scalar_parts, tree

TRAIN_STYLES = (*STYLES, "outline")
HELD_OUT_STYLES = tuple(HELD_OUT_RENDERERS)
ALL_STYLES = (*TRAIN_STYLES, *HELD_OUT_STYLES)
HELD_OUT_SPLIT = "test_styles"


def styles_of(split: str) -> tuple[str, ...]:
    """The styles a split's rows take in turn."""
    if split == HELD_OUT_SPLIT:
        return HELD_OUT_STYLES
    return TRAIN_STYLES if split == "train" else STYLES


def _outline(nodes: list[Node], rng: random.Random, depth: int, indent: str, bullet: str) -> list[str]:
    pad, lines = indent * depth, []
    nodes = list(nodes)
    rng.shuffle(nodes)
    for node in nodes:
        if node.kind == "object":
            lines.append(f"{pad}{node.label}:")
            lines += _outline(node.children, rng, depth + 1, indent, bullet)
        elif node.kind == "items":
            lines.append(f"{pad}{node.label}:")
            for n, item in enumerate(node.items, 1):
                block = _outline(item.children, rng, depth + 2, indent, bullet)
                if bullet and block:
                    first = block[0].lstrip()
                    lines += [f"{pad}{indent}{bullet}{first}", *block[1:]]
                else:
                    lines += [f"{pad}{indent}{n}.", *block]
        elif isinstance(node.value, list):
            lines.append(f"{pad}{node.label}:")
            lines += [f"{pad}{indent}{bullet}{part}" for part in scalar_parts(node, rng, "label_value")]
        else:
            lines.append(f"{pad}{node.label}: {_unit(node, _render(node, rng, 'label_value'))}")
    return lines


def render_outline(spec: Spec, nodes: list[Node], rng: random.Random) -> str:
    """Indented label blocks: an object's fields under its label, a list one item a line, array items as blocks."""
    indent = rng.choice(["  ", "    ", "\t"])
    bullet = rng.choice(["", "- ", "* "])
    lines = _outline(nodes, rng, 0, indent, bullet)
    if rng.random() < 0.5:
        lines.insert(0, f"{spec.topic[:1].upper() + spec.topic[1:]}")
    return "\n".join(lines)


ALL_RENDERERS = RENDERERS | {"outline": render_outline} | HELD_OUT_RENDERERS


def render(spec: Spec, obj: dict[str, Any], style: str, rng: random.Random) -> str:
    """The text of one example: ``obj`` said in ``style`` (any of the three tuples above)."""
    return ALL_RENDERERS[style](spec, tree(spec, obj), rng)
