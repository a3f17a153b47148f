"""Render an expected object as text in one of five surface styles, and list the forms a value may take in text.

Styles: ``label_value`` ("Label: value" lines, like EdgeJSON v3), ``prose`` (a short report), ``message``
(an email or chat message), ``log`` (key=value log lines), ``table`` (bullets and a Markdown table).
:func:`forms` is the documented normalisation between a JSON value and its text: the validator accepts a leaf
when one of its forms appears in the text.

Usage: ``text = render(spec, obj, "prose", rng)``
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from edgejson_dataset.spec import Spec, join, placeholders

STYLES = ("label_value", "prose", "message", "log", "table")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
ACRONYMS = {"id": "ID", "sku": "SKU", "ip": "IP", "iban": "IBAN", "mrn": "MRN", "url": "URL", "api": "API"}
SENTENCE_NOISE = (
    "Please keep this for your records.", "Let me know if anything looks off.",
    "This note was generated automatically.", "Reply here with any questions.", "Thanks for your patience.",
    "Nothing else to report for now.", "Apologies for the slow update.", "The office is closed on public holidays.",
    "I will follow up next week.", "Figures are as reported by the source system.",
)  # fmt: skip
LINE_NOISE = (
    "Copy: archive", "Page: 1 of 1", "Prepared by: automated export", "Confidential: internal use only",
    "Format version: 3", "Source: web form", "Printed by: system", "Checked: pending review",
)  # fmt: skip
GREETINGS = ("Hi team,", "Hello,", "Hi all,", "Good morning,", "Hey,", "Dear colleagues,")
CLOSINGS = ("Thanks,", "Best regards,", "Cheers,", "Kind regards,", "Thank you,")
SIGNATURES = ("Operations desk", "Front office", "Records team", "Sent from my phone", "Admin")


@dataclass
class Node:
    """A field of an example: a leaf (``value``), an object (``children``) or an array of objects (``items``)."""

    path: str
    key: str
    label: str
    schema: dict[str, Any]
    fs: dict[str, Any]
    value: Any = None
    children: list[Node] = field(default_factory=list)
    items: list[Node] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.schema.get("type") == "object":
            return "object"
        if self.schema.get("type") == "array" and self.schema["items"].get("type") == "object":
            return "items"
        return "leaf"

    def child(self, dotted: str) -> Node | None:
        node: Node | None = self
        for key in dotted.split("."):
            node = next((c for c in node.children if c.key == key), None) if node else None
        return node


def label_of(key: str, fs: dict[str, Any]) -> str:
    """``fs['label']`` or the key in words: ``order_id`` -> ``Order ID``."""
    if "label" in fs:
        return fs["label"]
    words = [ACRONYMS.get(w, w) for w in key.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def tree(spec: Spec, obj: dict[str, Any], schema: dict[str, Any] | None = None, prefix: str = "") -> list[Node]:
    """The present fields of ``obj`` as nodes, in schema order."""
    schema = schema or spec.schema
    nodes = []
    for key, sub in schema["properties"].items():
        if key not in obj:
            continue
        path = join(prefix, key)
        node = Node(path, key, label_of(key, spec.of(path)), sub, spec.of(path), obj[key])
        if node.kind == "object":
            node.children = tree(spec, obj[key], sub, path)
        elif node.kind == "items":
            items_schema, item_path = sub["items"], path + "[]"
            node.items = [
                Node(
                    item_path,
                    key,
                    node.label,
                    items_schema,
                    spec.of(item_path),
                    item,
                    tree(spec, item, items_schema, item_path),
                )
                for item in obj[key]
            ]
        nodes.append(node)
    return nodes


# ---------------------------------------------------------------- values


def _date_forms(value: str) -> list[str]:
    d = date.fromisoformat(value)
    return [
        value,
        f"{d:%B} {d.day}, {d.year}",
        f"{d.day} {d:%B} {d.year}",
        f"{d:%b} {d.day}, {d.year}",
        f"{d.day} {d:%b} {d.year}",
    ]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _wide_date_forms(value: str) -> list[str]:
    """More ways to write a date; numeric day-month orders only where the day cannot be read as a month."""
    d = date.fromisoformat(value)
    out = [
        *_date_forms(value),
        f"{d:%Y/%m/%d}",
        f"{d:%A}, {d:%B} {d.day}, {d.year}",
        f"{_ordinal(d.day)} of {d:%B} {d.year}",
        f"{d:%B} {_ordinal(d.day)}, {d.year}",
        f"{d.day:02d}-{d:%b}-{d.year}",
    ]
    if d.day > 12:
        out += [f"{d.day:02d}.{d.month:02d}.{d.year}", f"{d.month:02d}/{d.day:02d}/{d.year}"]
    return out


def _timestamp_forms(value: str) -> list[str]:
    """An RFC 3339 date-time as written in texts: the value itself, or spaced with ``UTC`` (only when it is UTC)."""
    if not value.endswith("Z"):
        return [value, value.replace("T", " ")]
    day, clock = value[:-1].split("T")
    d = date.fromisoformat(day)
    return [
        value,
        f"{day} {clock} UTC",
        f"{d:%B} {d.day}, {d.year} at {clock} UTC",
        f"{d.day} {d:%b} {d.year} {clock} UTC",
    ]


def _datetime_forms(value: str) -> list[str]:
    if not value.endswith("Z"):  # a naive date-time (edgejson_dataset.widen), written as software prints it
        return [value, value.replace("T", " ")]
    t = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    twelve = f"{t.hour % 12 or 12}:{t:%M} {'AM' if t.hour < 12 else 'PM'}"
    return [
        value,
        f"{t:%Y-%m-%d %H:%M} UTC",
        f"{t:%B} {t.day}, {t.year} at {t:%H:%M} UTC",
        f"{t.day} {t:%b} {t.year}, {twelve} UTC",
    ]


def forms(value: Any, schema: dict[str, Any], fs: dict[str, Any]) -> list[str]:
    """Every form a scalar value may take in a text, the JSON-like one first (booleans: :func:`bool_forms`)."""
    kind = schema.get("type")
    if kind == "string":
        wide = fs.get("forms") == "wide"
        if schema.get("format") == "date":
            return _wide_date_forms(value) if wide else _date_forms(value)
        if schema.get("format") == "date-time":
            return _timestamp_forms(value) if wide else _datetime_forms(value)
        if "enum" in schema and "_" in value:
            return [value, value.replace("_", " ")]
        return [value]
    if kind == "integer":
        out = [str(value)]
        if value >= 10000:
            out.append(f"{value:,}")
        if 0 <= value < len(NUMBER_WORDS) and not fs.get("digits"):
            out.append(NUMBER_WORDS[value])
        return out
    if kind == "number":
        decimals = fs.get("decimals", 2 if fs.get("gen", "").startswith("money") else None)
        if decimals is None:
            return [str(value)]
        return list(dict.fromkeys([f"{value:.{decimals}f}", f"{value:,.{decimals}f}"]))
    raise TypeError(f"no text form for a {kind} value")


def bool_forms(value: bool, fs: dict[str, Any]) -> list[str]:
    """Words and sentences that state a boolean: the spec's ``words`` (default yes/no), true/false, its ``say``."""
    words = fs.get("words", {}).get(value, ["yes" if value else "no"])
    return [*words, "true" if value else "false", *fs.get("say", {}).get(value, [])]


def scalar_parts(node: Node, rng: random.Random, style: str) -> list[str]:
    """Each item of a list of scalars, rendered alone for ``style``."""
    items = node.schema["items"]
    return [_render(Node(node.path + "[]", node.key, node.label, items, {}, v), rng, style) for v in node.value]


def _render(node: Node, rng: random.Random, style: str) -> str:
    """One rendering of a leaf (scalar or list of scalars) for ``style``."""
    value = node.value
    if isinstance(value, list):
        parts = scalar_parts(node, rng, style)
        if style == "log":
            return ",".join(parts)
        if style in ("prose", "message") and len(parts) > 1:
            return ", ".join(parts[:-1]) + " and " + parts[-1]
        return ", ".join(parts)
    if isinstance(value, bool):
        if style == "log":
            return "true" if value else "false"
        return rng.choice(node.fs.get("words", {}).get(value, ["yes" if value else "no"]))
    options = forms(value, node.schema, node.fs)
    if style == "log":
        return options[0]
    if node.schema.get("type") == "integer" and style not in ("prose", "message"):
        options = options[:1]
    return rng.choice(options)


def _unit(node: Node, text: str) -> str:
    return node.fs["unit"].replace("{v}", text) if "unit" in node.fs else text


# ---------------------------------------------------------------- templates


def fill_template(template: str, node: Node, rng: random.Random, style: str) -> str | None:
    """Fill ``{v}`` / ``{field}`` placeholders from ``node``; drop a ``[...]`` part whose field is absent.

    Returns None when a placeholder outside brackets has no value.
    """

    def value_of(name: str) -> str | None:
        target = node if name == "v" else node.child(name)
        if target is None:
            return None
        if target.kind == "items":
            return _join_items(target, rng, style)
        return _render(target, rng, style)

    def sub(text: str) -> str | None:
        out = text
        for name in placeholders(text):
            rendered = value_of(name)
            if rendered is None:
                return None
            out = out.replace("{" + name + "}", rendered, 1)
        return out

    def optional(match: re.Match[str]) -> str:
        return sub(match[1]) or ""

    return sub(re.sub(r"\[([^\[\]]*)\]", optional, template))


def _join_items(node: Node, rng: random.Random, style: str) -> str:
    chosen = list(node.fs["each"])
    rng.shuffle(chosen)
    parts = []
    for item in node.items:
        text = next((f for f in (fill_template(t, item, rng, style) for t in chosen) if f), None)
        if text is None:
            raise ValueError(f"{node.path}: no 'each' template fits item {item.value}")
        parts.append(text)
    return (
        "; ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
        if style != "table"
        else "; ".join(parts)
    )


def _sentence(node: Node, rng: random.Random, style: str, context: str) -> list[str]:
    """Prose sentences stating ``node`` (an object without ``say`` gives one per field)."""
    fs = node.fs
    label = f"{context} {node.label.lower()}".strip() if node.kind == "leaf" else node.label.lower()
    if node.kind == "leaf" and isinstance(node.value, bool):
        sentences = fs.get("say", {}).get(node.value)
        return (
            [rng.choice(sentences)]
            if sentences
            else [f"{label[:1].upper() + label[1:]}: {_render(node, rng, style)}."]
        )
    if node.kind == "object" and "say" not in fs:
        children = list(node.children)
        rng.shuffle(children)
        return [s for c in children for s in _sentence(c, rng, style, f"{context} {node.label.lower()}".strip())]
    templates = fs.get("say") or ["The {label} is {v}.", "{Label}: {v}.", "{Label} is {v}."]
    if node.kind == "items":
        templates = fs.get("say") or ["{Label}: {v}.", "The {label} are {v}."]
    options = list(templates)
    rng.shuffle(options)
    capital = label[:1].upper() + label[1:]
    for template in options:
        text = fill_template(template.replace("{label}", label).replace("{Label}", capital), node, rng, style)
        if text:
            return [text]
    raise ValueError(f"{node.path}: no 'say' template fits")


# ---------------------------------------------------------------- styles


def _noise(spec: Spec, rng: random.Random, k: int) -> list[str]:
    return rng.sample(list(spec.noise) + list(SENTENCE_NOISE), k)


def _scatter(lines: list[Any], extra: list[Any], rng: random.Random) -> list[Any]:
    out = list(lines)
    for line in extra:
        out.insert(rng.randint(0, len(out)), line)
    return out


def _prose(spec: Spec, nodes: list[Node], rng: random.Random, style: str) -> list[str]:
    nodes = list(nodes)
    rng.shuffle(nodes)
    return [s for node in nodes for s in _sentence(node, rng, style, "")]


def _intro(spec: Spec, rng: random.Random) -> str:
    return rng.choice(spec.intro or [f"Here are the {spec.topic} details."])


def render_prose(spec: Spec, nodes: list[Node], rng: random.Random) -> str:
    sentences = _scatter(_prose(spec, nodes, rng, "prose"), _noise(spec, rng, rng.randint(1, 3)), rng)
    if rng.random() < 0.6:
        sentences.insert(0, _intro(spec, rng))
    return " ".join(sentences)


def render_message(spec: Spec, nodes: list[Node], rng: random.Random) -> str:
    body = _scatter(_prose(spec, nodes, rng, "message"), _noise(spec, rng, rng.randint(1, 3)), rng)
    paragraphs = [
        rng.choice(GREETINGS),
        _intro(spec, rng) + " " + " ".join(body),
        rng.choice(CLOSINGS) + "\n" + rng.choice(SIGNATURES),
    ]
    if rng.random() < 0.4:
        paragraphs.insert(0, f"Subject: {spec.topic[:1].upper() + spec.topic[1:]} update")
    return "\n\n".join(paragraphs)


def _label_blocks(
    nodes: list[Node], rng: random.Random, case: str, indent: str, prefix: str = "", inline: bool = False
) -> list[list[str]]:
    """Lines of "Label: value", one block per field (an object's or an array's lines stay together).

    ``inline`` (inside an array item) flattens objects with prefixed labels and nested arrays with their ``each``.
    """
    blocks = []
    nodes = list(nodes)
    rng.shuffle(nodes)
    for node in nodes:
        lines: list[str] = []
        own = node.label.lower() if prefix else node.label
        label = own if own.startswith(prefix.strip().lower() or "\0") else f"{prefix}{own}"
        label = label.upper() if case == "upper" else label
        if node.kind == "leaf":
            lines.append(f"{indent}{label}: {_unit(node, _render(node, rng, 'label_value'))}")
        elif node.kind == "object":
            if not inline and rng.random() < 0.5:
                lines.append(f"{indent}{label}:")
                lines += _flat(_label_blocks(node.children, rng, case, indent + "  "))
            else:
                lines += _flat(_label_blocks(node.children, rng, case, indent, f"{label} ", inline))
        elif inline:
            lines.append(f"{indent}{label}: {_join_items(node, rng, 'label_value')}")
        else:
            lines.append(f"{indent}{label}:")
            for n, item in enumerate(node.items, 1):
                cells = [line.strip() for line in _flat(_label_blocks(item.children, rng, case, "", inline=True))]
                lines.append(f"{indent}  {n}. " + "; ".join(cells))
        blocks.append(lines)
    return blocks


def _flat(blocks: list[list[str]]) -> list[str]:
    return [line for block in blocks for line in block]


def render_label_value(spec: Spec, nodes: list[Node], rng: random.Random) -> str:
    blocks = _label_blocks(nodes, rng, "upper" if rng.random() < 0.15 else "title", "")
    noise = [[line] for line in rng.sample(LINE_NOISE, rng.randint(1, 3))]
    return "\n".join(_flat(_scatter(blocks, noise, rng)))


def _quote(text: str) -> str:
    return f'"{text}"' if re.search(r"[\s=,\"]", text) else text


def _log_pairs(nodes: list[Node], rng: random.Random, prefix: str) -> tuple[list[str], list[tuple[str, Node]]]:
    pairs, arrays = [], []
    for node in nodes:
        key = node.fs.get("alias", node.key) if rng.random() < 0.5 else node.key
        if node.kind == "leaf":
            pairs.append(f"{prefix}{key}={_quote(_render(node, rng, 'log'))}")
        elif node.kind == "object":
            sub_pairs, sub_arrays = _log_pairs(node.children, rng, f"{prefix}{key}.")
            pairs += sub_pairs
            arrays += sub_arrays
        else:
            arrays.append((f"{prefix}{key}", node))
    return pairs, arrays


def _log_lines(head: str, nodes: list[Node], rng: random.Random, indent: str) -> list[str]:
    pairs, arrays = _log_pairs(nodes, rng, "")
    lines = [f"{indent}{head} " + " ".join(pairs)] if pairs else []
    for key, node in arrays:
        for n, item in enumerate(node.items):
            lines += _log_lines(f"{key}[{n}]", item.children, rng, indent + "  ")
    return lines


def render_log(spec: Spec, nodes: list[Node], rng: random.Random) -> str:
    nodes = list(nodes)
    rng.shuffle(nodes)
    noise = [
        f"host=edge-{rng.randint(1, 40):02d}",
        f"pid={rng.randint(100, 9999)}",
        f"trace={rng.getrandbits(32):08x}",
    ]
    head = rng.choice([f"[{spec.topic}]", f"{spec.topic.replace(' ', '_')}:", "record", "evt"])
    lines = _log_lines(head, nodes, rng, "") or [head]
    lines[0] += " " + " ".join(rng.sample(noise, rng.randint(0, 2)))
    return "\n".join(line.rstrip() for line in lines)


def _columns(item: Node, prefix: str = "") -> list[tuple[str, str]]:
    cols = []
    for child in item.children:
        if child.kind == "object":
            cols += _columns(child, f"{prefix}{child.key}.")
        else:
            cols.append((f"{prefix}{child.key}", child.label))
    return cols


def render_table(spec: Spec, nodes: list[Node], rng: random.Random) -> str:
    bullet = rng.choice(["-", "*", "•"])
    text = _bullets(spec, nodes, rng, bullet)
    if rng.random() < 0.5:
        text = f"{bullet} {rng.choice(LINE_NOISE)}\n{text}"
    if rng.random() < 0.5:
        text = f"{rng.choice(['##', '#', ''])} {spec.topic[:1].upper() + spec.topic[1:]}\n\n{text}".lstrip()
    return text


def _bullets(spec: Spec, nodes: list[Node], rng: random.Random, bullet: str) -> str:
    lines, tables = [], []
    nodes = list(nodes)
    rng.shuffle(nodes)
    for node in nodes:
        if node.kind == "leaf":
            lines.append(f"{bullet} {node.label}: {_unit(node, _render(node, rng, 'table'))}")
        elif node.kind == "object":
            lines.append(f"{bullet} {node.label}:")
            lines += ["  " + line for line in _bullets(spec, node.children, rng, bullet).splitlines()]
        else:
            columns = list(dict.fromkeys(col for item in node.items for col in _columns(item)))
            rows = []
            for item in node.items:
                cells = []
                for path, _ in columns:
                    cell = item.child(path)
                    text = (
                        ""
                        if cell is None
                        else _join_items(cell, rng, "table")
                        if cell.kind == "items"
                        else _render(cell, rng, "table")
                    )
                    cells.append(text)
                rows.append("| " + " | ".join(cells) + " |")
            header = "| " + " | ".join(label for _, label in columns) + " |"
            tables.append("\n".join([f"{node.label}:", header, "|" + "---|" * len(columns), *rows]))
    return "\n\n".join(["\n".join(lines), *tables] if lines else tables)


RENDERERS = {
    "label_value": render_label_value,
    "prose": render_prose,
    "message": render_message,
    "log": render_log,
    "table": render_table,
}


def render(spec: Spec, obj: dict[str, Any], style: str, rng: random.Random) -> str:
    """The text of one example: ``obj`` said in ``style``, fields shuffled, distractors mixed in."""
    return RENDERERS[style](spec, tree(spec, obj), rng)
