"""Training-only schemas composed from a library of typed fields, so that a model learns to read the template.

Each generated schema draws a topic, a band (simple, medium, complex) and fields from :data:`LEAVES`, :data:`GROUPS`
and :data:`LISTS`; key names vary by synonym, case (snake or camel), order and which keys are optional, and values
vary in era, format, shape and magnitude. A *nested* schema is complex and its array items hold a nested object, an
array of objects of their own, or both (a trip's segments, each with a ``departure {city, time}`` and its stops).
A schema is refused when it comes *too close* to a held-out schema: when the Jaccard similarity of their leaf-key
sets (keys lower-cased, camel case split, words joined by ``_``) reaches :data:`TOO_CLOSE`, or when it has a held-out
schema's topic. Generated schemas also differ from each other.

Usage: ``specs = make_specs(random.Random(0), 300)`` (``nested=True`` for nested schemas), then
``check_unseen(spec.schema, spec.schema_id)``
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from edgejson.schemas import key_words, load_schema, schema_ids
from edgejson_dataset.spec import Spec, check_spec
from edgejson_dataset.validate import BuildError

TOO_CLOSE = 0.4
HELD_OUT_TOPICS = ("weather", "book", "job", "flight", "project", "travel", "itinerary", "citation", "vacancy")
TOPICS = (
    "gym membership", "car rental", "warehouse stock check", "insurance claim", "vet appointment", "utility bill",
    "software licence", "bike repair", "restaurant reservation", "parking permit", "lab sample", "course enrolment",
    "donation receipt", "property listing", "lost property report", "equipment loan", "pet adoption", "recipe card",
    "fitness session", "tax filing", "subscription renewal", "volunteer sign-up", "bug report", "parcel delivery",
    "museum visit", "spare parts order", "energy meter reading", "vehicle inspection", "grant application",
    "scholarship award", "wine tasting", "art commission", "phone plan", "camping permit", "dental check-up",
    "security incident", "customs declaration", "payroll entry", "survey response", "clinical trial visit",
    "harvest log", "server alert", "loan application", "wedding RSVP", "photo shoot booking", "tutoring session",
    "store return", "printer status", "boat mooring", "concert ticket", "blood donation", "school report",
    "noise complaint", "tree survey", "lease agreement", "coffee roast batch", "bakery order", "laundry pickup",
    "archive record", "radio log", "pharmacy refill", "apartment viewing", "chess tournament entry", "ferry cargo",
    "warranty claim", "solar panel install", "water quality test", "drone flight log", "fleet fuel log",
)  # fmt: skip
TAG_WORDS = (
    "urgent", "fragile", "new", "repeat", "vip", "online", "offline", "eco", "bulk", "gift", "trial", "legacy",
    "seasonal", "imported", "local", "priority", "draft", "review", "archived", "outdoor", "indoor", "kids", "senior",
    "weekend", "night", "remote", "manual", "auto", "refurbished", "limited",
)  # fmt: skip
ENUMS = (
    ("active", "inactive", "pending", "suspended"), ("low", "medium", "high", "critical"),
    ("small", "medium", "large", "x_large"), ("email", "phone", "web", "in_person"),
    ("red", "green", "blue", "black", "white", "silver"), ("card", "cash", "bank_transfer", "voucher"),
    ("beginner", "intermediate", "advanced", "expert"), ("morning", "afternoon", "evening", "night"),
    ("open", "in_progress", "resolved", "closed"), ("north", "south", "east", "west"),
    ("bronze", "silver", "gold", "platinum"), ("new", "used", "refurbished"), ("daily", "weekly", "monthly", "yearly"),
    ("approved", "rejected", "on_hold"), ("standard", "express", "overnight"),
)  # fmt: skip
UNITS = ("kg", "g", "cm", "m", "km", "ml", "l", "%", "h", "min", "kWh", "psi")
BOOL_WORDS = (
    ({True: ["yes"], False: ["no"]}),
    ({True: ["yes", "confirmed"], False: ["no", "not confirmed"]}),
    ({True: ["true"], False: ["false"]}),
    ({True: ["on", "enabled"], False: ["off", "disabled"]}),
)


@dataclass(frozen=True)
class Leaf:
    """A typed field: key synonyms (snake case), its JSON Schema and how to draw its values."""

    keys: tuple[str, ...]
    kind: str  # what make_leaf draws per schema: person, email, code, money, enum, ...
    weight: int = 2


LEAVES = (
    Leaf(("name", "full_name", "customer_name", "contact_name", "owner", "patient_name", "requester", "assignee",
          "holder", "member_name", "applicant", "driver", "inspector", "technician", "guest_name"), "person", 4),
    Leaf(("email", "email_address", "contact_email", "mail", "e_mail", "reply_to"), "email", 3),
    Leaf(("phone", "phone_number", "telephone", "mobile", "contact_phone", "tel", "cell"), "phone", 3),
    Leaf(("company", "organisation", "organization", "vendor", "supplier", "brand", "manufacturer", "client",
          "provider", "carrier", "agency"), "company", 2),
    Leaf(("id", "record_id", "reference", "ref", "code", "ticket_id", "order_number", "account_id",
          "serial_number", "tracking_code", "batch_id", "case_number", "asset_tag", "permit_no", "claim_id",
          "invoice_no", "policy_number", "sku", "plate"), "code", 5),
    Leaf(("uuid", "guid", "request_id", "trace_id", "session_id", "device_uuid"), "uuid", 1),
    Leaf(("date", "created_on", "start_date", "end_date", "due_date", "birth_date", "date_of_birth", "issued_on",
          "signed_on", "opened_on", "founded", "recorded_on", "delivery_date", "purchase_date", "expiry_date",
          "visit_date", "valid_until", "registered"), "date", 5),
    Leaf(("timestamp", "created_at", "updated_at", "logged_at", "occurred_at", "received_at", "time",
          "last_seen", "started_at", "closed_at"), "timestamp", 3),
    Leaf(("amount", "price", "total", "cost", "fee", "balance", "budget", "deposit", "refund", "subtotal",
          "premium", "charge", "value", "rent"), "money", 4),
    Leaf(("count", "quantity", "qty", "units", "attendees", "seats", "stock", "visits", "headcount", "rooms",
          "floors", "copies", "pallets", "downloads", "age", "nights", "points"), "int", 4),
    Leaf(("weight", "length", "height", "width", "distance", "volume", "speed", "score", "ratio", "percentage",
          "reading", "level", "pressure", "usage", "capacity", "duration"), "float", 3),
    Leaf(("rating", "stars", "grade", "satisfaction"), "rating", 1),
    Leaf(("year", "model_year", "year_built", "vintage", "since"), "year", 1),
    Leaf(("status", "state", "priority", "urgency", "size", "channel", "source", "colour", "color",
          "payment_method", "method", "tier", "shift", "category", "mode", "condition", "frequency", "plan",
          "outcome", "service_level"), "enum", 4),
    Leaf(("active", "is_active", "verified", "paid", "confirmed", "is_public", "shipped", "enabled", "insured",
          "subscribed", "urgent", "approved", "refundable", "returning", "signed", "in_stock"), "bool", 3),
    Leaf(("notes", "comment", "description", "summary", "remarks", "message", "details", "reason", "instructions",
          "feedback", "observation", "note"), "sentence", 3),
    Leaf(("title", "subject", "label", "headline", "product", "item", "model", "item_name", "display_name"),
         "title", 2),
    Leaf(("url", "website", "homepage", "link"), "url", 1),
    Leaf(("username", "handle", "login", "user"), "username", 1),
    Leaf(("ip", "ip_address", "host_ip", "client_ip"), "ipv4", 1),
    Leaf(("version", "firmware", "release", "build"), "version", 1),
    Leaf(("tags", "labels", "keywords", "flags", "topics"), "tags", 2),
)  # fmt: skip
GROUPS = {  # nested objects: key synonyms and the leaf kinds they hold
    "place": (("address", "location", "shipping_address", "billing_address", "home_address", "site", "branch"), ()),
    "person": (("customer", "contact", "patient", "requester", "buyer", "sender", "recipient", "employee",
                "member", "owner", "reporter", "tenant"), ("person", "email", "phone", "code", "date")),
    "details": (("details", "info", "metadata", "summary", "stats", "meta", "settings", "specs", "measurements",
                 "billing", "payment", "vehicle", "device"), ("code", "money", "int", "float", "enum", "bool",
                                                             "date", "title", "version")),
}  # fmt: skip
LISTS = (  # arrays of objects: key synonyms and the leaf kinds an item may hold (the first one always)
    ("items", "line_items", "entries", "products", "lines", "records", "payments", "parts", "orders", "visits"),
    ("participants", "members", "contacts", "people", "guests", "signatories", "staff"),
    ("readings", "events", "checks", "samples", "measurements", "logs", "alerts"),
)  # fmt: skip
LIST_KINDS = (
    ("title", "int", "money", "code", "enum", "bool"),
    ("person", "email", "phone", "enum", "date", "bool"),
    ("timestamp", "float", "enum", "code", "sentence", "bool"),
)
PLACE_KEYS = {
    "street": ("street", "street_address", "line1", "address_line"),
    "city": ("city", "town", "locality"),
    "postcode": ("postcode", "zip", "postal_code", "zip_code"),
    "country": ("country", "country_name", "nation"),
}
SYNONYM_KINDS = ("email", "phone", "uuid", "url", "username", "ipv4")
BANDS = {
    "simple": (2, 5, 0.0, 0.0),
    "medium": (4, 9, 0.8, 0.3),
    "complex": (5, 10, 1.0, 1.0),
    "nested": (2, 5, 0.6, 1.0),
}
BAND_WEIGHTS = {"simple": 4, "medium": 4, "complex": 2}


def is_object_array(sub: Any) -> bool:
    """Whether a property schema is an array of objects."""
    return isinstance(sub, dict) and sub.get("type") == "array" and sub.get("items", {}).get("type") == "object"


def leaf_keys(schema: dict[str, Any]) -> set[str]:
    """Every leaf key of a schema at any depth, normalised (``shipTo.zipCode`` -> ``zip_code``)."""
    out: set[str] = set()
    for key, sub in schema.get("properties", {}).items():
        if isinstance(sub, dict) and sub.get("type") == "object":
            out |= leaf_keys(sub)
        elif is_object_array(sub):
            out |= leaf_keys(sub["items"])
        else:
            out.add("_".join(key_words(key)))
    return out


def closeness(a: dict[str, Any], b: dict[str, Any]) -> float:
    """Jaccard similarity of two schemas' normalised leaf-key sets."""
    ka, kb = leaf_keys(a), leaf_keys(b)
    return len(ka & kb) / len(ka | kb) if ka | kb else 1.0


def too_close(schema: dict[str, Any], topic: str = "") -> str | None:
    """Why ``schema`` (about ``topic``) is too close to a held-out schema, or None."""
    if hit := next((t for t in HELD_OUT_TOPICS if t in topic.lower()), None):
        return f"its topic {topic!r} is a held-out topic ({hit})"
    for held in schema_ids(held_out=True):
        if (score := closeness(schema, load_schema(held))) >= TOO_CLOSE:
            return f"its leaf keys overlap held-out schema {held!r} with Jaccard {score:.2f} >= {TOO_CLOSE}"
    return None


def check_unseen(schema: dict[str, Any], schema_id: str, topic: str = "") -> None:
    """Raise :class:`BuildError` when a generated schema is too close to a held-out schema."""
    if reason := too_close(schema, topic):
        raise BuildError(f"{schema_id}: /: generated schema is too close to the held-out schemas: {reason}")


@dataclass
class _Draft:
    """A schema being composed: properties, required keys and field specs keyed by path."""

    rng: random.Random
    case: str
    nested: bool = False
    properties: dict[str, Any] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    def key(self, snake: str, taken: dict[str, Any]) -> str | None:
        parts = snake.split("_")
        key = parts[0] + "".join(p.title() for p in parts[1:]) if self.case == "camel" else snake
        return None if key in taken else key


def _label(rng: random.Random, snake: str) -> str:
    text = " ".join(snake.split("_"))
    text = {"id": "ID", "ip": "IP", "url": "URL", "sku": "SKU", "uuid": "UUID", "guid": "GUID"}.get(text, text)
    return text[:1].upper() + text[1:] if rng.random() < 0.8 else text.title()


def _code_pattern(rng: random.Random) -> str:
    letters, digits = "?" * rng.randint(0, 4), "#" * rng.randint(2, 9)
    sep = rng.choice(["-", "-", "", "/", "_", "."])
    shapes = [f"{letters}{sep}{digits}", f"{digits}", f"{letters}{sep}{digits}{sep}{'?' * rng.randint(1, 2)}",
              f"{'#' * rng.randint(2, 4)}{sep}{'#' * rng.randint(2, 6)}"]  # fmt: skip
    pattern = rng.choice(shapes).strip("-/_.")
    return pattern if "#" in pattern else pattern + "###"


def _magnitude(rng: random.Random) -> tuple[int, int]:
    top = 10 ** rng.randint(1, 7)
    return (rng.choice([0, 1, top // 100]), top)


def make_leaf(rng: random.Random, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A leaf of ``kind``: its JSON Schema and its field spec (generator and phrasing), values drawn widely."""
    if kind in ("person", "email", "phone", "company", "uuid", "title", "url", "username", "ipv4", "version"):
        gen = {"title": rng.choice(["title", "product"])}.get(kind, kind)
        return {"type": "string"}, {"gen": gen}
    if kind == "code":
        return {"type": "string"}, {"gen": "code " + _code_pattern(rng)} if rng.random() < 0.85 else {
            "gen": f"hex {rng.randint(6, 16)}"
        }
    if kind == "date":
        start, end = rng.choice([("-125y", "+5y"), ("-60y", "-1y"), ("-30y", "+10y"), ("-3y", "+2y")])
        return {"type": "string", "format": "date"}, {"gen": f"date {start} {end}", "forms": "wide"}
    if kind == "timestamp":
        start = rng.choice(["-50y", "-10y", "-1y", "-30d"])
        return {"type": "string", "format": "date-time"}, {"gen": f"timestamp {start} +30d", "forms": "wide"}
    if kind == "money":
        lo, hi = _magnitude(rng)
        return {"type": "number"}, {"gen": f"money {lo} {hi}"}
    if kind == "int":
        lo, hi = _magnitude(rng)
        lo = -hi // 10 if rng.random() < 0.1 else lo
        return {"type": "integer"}, {"gen": f"int {lo} {hi}"}
    if kind == "float":
        lo, hi = _magnitude(rng)
        decimals = rng.randint(1, 4)
        spec: dict[str, Any] = {"gen": f"float {lo} {hi} {decimals}", "decimals": decimals}
        if rng.random() < 0.4:
            spec["unit"] = "{v} " + rng.choice(UNITS)
        return {"type": "number"}, spec
    if kind == "rating":
        top = rng.choice([5, 10, 100])
        return {"type": "integer", "minimum": 0, "maximum": top}, {"gen": f"int 0 {top}", "digits": True}
    if kind == "year":
        return {"type": "integer"}, {"gen": "int 1850 2035", "digits": True}
    if kind == "enum":
        values = list(rng.choice(ENUMS))
        return {"type": "string", "enum": values}, {"gen": "enum"}
    if kind == "bool":
        return {"type": "boolean"}, {"gen": f"bool {rng.choice([0.3, 0.5, 0.7])}", "words": rng.choice(BOOL_WORDS)}
    if kind == "sentence":
        return {"type": "string"}, {"gen": "sentence", "say": ["{Label}: {v}", '{Label}: "{v}"', "{Label} - {v}"]}
    if kind == "tags":
        pool = rng.sample(TAG_WORDS, rng.randint(5, 12))
        return {"type": "array", "items": {"type": "string"}}, {"count": [1, min(4, len(pool))], "choices": pool}
    raise ValueError(f"unknown leaf kind {kind!r}")


def _add_leaf(draft: _Draft, props: dict[str, Any], req: list[str], prefix: str, snake: str, kind: str) -> bool:
    key = draft.key(snake, props)
    if key is None:
        return False
    schema, fs = make_leaf(draft.rng, kind)
    path = f"{prefix}{key}"
    if kind == "tags":
        draft.fields[path] = {"count": fs["count"], "label": _label(draft.rng, snake)}
        draft.fields[path + "[]"] = {"gen": "choice", "choices": fs["choices"]}
    else:
        draft.fields[path] = fs | {"label": _label(draft.rng, snake)}
    draft.kinds[path] = kind
    props[key] = schema
    if draft.rng.random() < 0.6:
        req.append(key)
    else:
        draft.fields[path]["p"] = draft.rng.choice([0.3, 0.5, 0.7])
    return True


def _relabel(draft: _Draft) -> None:
    """Label some fields by a synonym of their key (``mobile`` said as "Phone number"), where that is unambiguous:
    the only field of its kind in its object, of a kind whose synonyms mean the same thing."""
    parents: dict[str, list[str]] = {}
    for path, kind in draft.kinds.items():
        parents.setdefault(f"{path.rpartition('.')[0]}/{kind}", []).append(path)
    for group, paths in parents.items():
        kind = group.rpartition("/")[2]
        if len(paths) > 1 or kind not in SYNONYM_KINDS or draft.rng.random() >= 0.3:
            continue
        leaf = next(leaf for leaf in LEAVES if leaf.kind == kind)
        draft.fields[paths[0]]["label"] = _label(draft.rng, draft.rng.choice(leaf.keys))


def _object(draft: _Draft, prefix: str, kinds: tuple[str, ...], n: int) -> tuple[dict[str, Any], list[str]]:
    props: dict[str, Any] = {}
    req: list[str] = []
    while len(props) < n:
        kind = draft.rng.choice(kinds)
        leaf = next(leaf for leaf in LEAVES if leaf.kind == kind)
        _add_leaf(draft, props, req, prefix, draft.rng.choice(leaf.keys), kind)
    return props, req or [next(iter(props))]


def _place(draft: _Draft, prefix: str) -> tuple[dict[str, Any], list[str]]:
    props: dict[str, Any] = {}
    parts = [p for p in PLACE_KEYS if p == "city" or draft.rng.random() < 0.7]
    for part in parts:
        key = draft.key(draft.rng.choice(PLACE_KEYS[part]), props)
        props[key] = {"type": "string"}
        draft.fields[f"{prefix}{key}"] = {"gen": f"place {part}", "label": _label(draft.rng, "_".join(key_words(key)))}
    return props, list(props)[: draft.rng.randint(1, len(props))]


def _part(draft: _Draft, path: str, key: str, sub: dict[str, Any]) -> str:
    """How an item phrases one of its fields: ``label {key}``; a nested object's fields and an array's items in
    parentheses (``departure (city {departure.city}, time {departure.time})``)."""
    label = draft.fields[f"{path}[].{key}"]["label"].lower()
    if sub.get("type") == "object":
        inner = ", ".join(
            f"{draft.fields[f'{path}[].{key}.{k}']['label'].lower()} {{{key}.{k}}}" for k in sub["properties"]
        )
        return f"{label} ({inner})"
    if is_object_array(sub):
        return f"{label} ({{{key}}})"
    return f"{label} {{{key}}}"


def _each(draft: _Draft, path: str, props: dict[str, Any], req: list[str]) -> list[str]:
    """Phrasings of one array item: every field labelled, optional ones in ``[...]``."""
    templates = []
    for _ in range(2):
        keys = list(props)
        draft.rng.shuffle(keys)
        keys.sort(key=lambda k: k not in req)  # a template opens with a field every item has
        parts = [_part(draft, path, k, props[k]) for k in keys]
        rest = "".join(f", {p}" if k in req else f"[, {p}]" for k, p in zip(keys[1:], parts[1:], strict=True))
        templates.append(parts[0] + rest)
    return templates


def _list(draft: _Draft, path: str, n: int) -> dict[str, Any]:
    """An array of objects at ``path`` whose items hold leaves of ``LIST_KINDS[n]``. In a nested schema the items of
    a top-level array hold more (:func:`_nest`); there, to keep texts short, an array holds at most 3 items and an
    item at most 3 leaves."""
    props, req = _object(draft, f"{path}[].", LIST_KINDS[n], draft.rng.randint(2, 3 if draft.nested else 4))
    if draft.nested and "[]" not in path:
        _nest(draft, f"{path}[].", n, props, req)
    lo_items = draft.rng.choice([1, 1, 2])
    draft.fields[path] = {
        "label": _label(draft.rng, "_".join(key_words(path.rpartition(".")[2]))),
        "count": [lo_items, lo_items + (1 if draft.nested else 3)],
    }
    draft.fields[path]["each"] = _each(draft, path, props, req)
    return {
        "type": "array",
        "items": {"type": "object", "properties": props, "required": req, "additionalProperties": False},
    }


def _nest(draft: _Draft, prefix: str, n: int, props: dict[str, Any], req: list[str]) -> None:
    """Give array items (fields under ``prefix``) a nested object, an array of objects of another kind than
    ``LIST_KINDS[n]``, or both; each of them optional in 3 items of 10."""
    rng = draft.rng
    with_object = rng.random() < 0.6
    if with_object:
        kind = rng.choice(list(GROUPS))
        if key := draft.key(rng.choice(GROUPS[kind][0]), props):
            sub, _ = (
                _place(draft, f"{prefix}{key}.")
                if kind == "place"
                else _object(draft, f"{prefix}{key}.", GROUPS[kind][1], rng.randint(2, 3))
            )
            for k in sub:  # every key required: the item's phrasing names them all
                draft.fields[f"{prefix}{key}.{k}"].pop("p", None)
            props[key] = {"type": "object", "properties": sub, "required": list(sub), "additionalProperties": False}
            draft.fields[f"{prefix}{key}"] = {"label": _label(rng, "_".join(key_words(key)))}
            _require(draft, f"{prefix}{key}", key, req)
    if not with_object or rng.random() < 0.5:
        m = rng.choice([m for m in range(len(LISTS)) if m != n])
        if key := draft.key(rng.choice(LISTS[m]), props):
            props[key] = _list(draft, f"{prefix}{key}", m)
            _require(draft, f"{prefix}{key}", key, req)


def _require(draft: _Draft, path: str, key: str, req: list[str]) -> None:
    if draft.rng.random() < 0.7:
        req.append(key)
    else:
        draft.fields[path]["p"] = 0.6


def _schema(rng: random.Random, band: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A schema of ``band`` (``nested``: fewer top-level fields than ``complex``, so that a text stays short) and its
    field specs."""
    draft = _Draft(rng, "camel" if rng.random() < 0.35 else "snake", band == "nested")
    lo, hi, p_group, p_list = BANDS[band]
    weights = [leaf.weight for leaf in LEAVES]
    while len(draft.properties) < rng.randint(lo, hi):
        leaf = rng.choices(LEAVES, weights)[0]
        _add_leaf(draft, draft.properties, draft.required, "", rng.choice(leaf.keys), leaf.kind)
    for _ in range(2 if band == "complex" else 1):
        if rng.random() < p_group:
            kind = rng.choice(list(GROUPS))
            key = draft.key(rng.choice(GROUPS[kind][0]), draft.properties)
            if key:
                props, req = (
                    _place(draft, f"{key}.")
                    if kind == "place"
                    else _object(draft, f"{key}.", GROUPS[kind][1], rng.randint(2, 4))
                )
                draft.properties[key] = {"type": "object", "properties": props, "required": req}
                draft.fields[key] = {"label": _label(rng, "_".join(key_words(key)))}
                if rng.random() < 0.7:
                    draft.required.append(key)
                else:
                    draft.fields[key]["p"] = 0.6
    if rng.random() < p_list:
        n = rng.randrange(len(LISTS))
        key = draft.key(rng.choice(LISTS[n]), draft.properties)
        if key:
            draft.properties[key] = _list(draft, key, n)
            draft.required.append(key)
    _relabel(draft)
    keys = list(draft.properties)
    rng.shuffle(keys)
    properties = {k: draft.properties[k] for k in keys}
    for sub in [*properties.values()]:
        if sub.get("type") == "object":
            sub["additionalProperties"] = False
    schema = {"type": "object", "properties": properties, "required": [k for k in keys if k in draft.required]}
    schema["additionalProperties"] = False
    return schema, draft.fields


def make_specs(rng: random.Random, n: int, prefix: str = "gen", nested: bool = False) -> list[Spec]:
    """``n`` distinct generated schemas with their specs, none too close to a held-out schema; ``nested``: complex
    schemas whose array items hold nested objects and arrays."""
    specs: list[Spec] = []
    seen: set[str] = set()
    bands = list(BAND_WEIGHTS)
    while len(specs) < n:
        band = "nested" if nested else rng.choices(bands, [BAND_WEIGHTS[b] for b in bands])[0]
        topic = rng.choice(TOPICS)
        schema, fields = _schema(rng, band)
        canonical = json.dumps(schema, sort_keys=True)
        if canonical in seen or too_close(schema, topic) or (nested and not items_nest(schema)):
            continue
        seen.add(canonical)
        schema_id = f"{prefix}_{len(specs):04d}"
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": topic.title(), **schema}
        spec = Spec(schema_id=schema_id, schema=schema, topic=topic, fields=fields)
        check_spec(spec, f"generated schema {schema_id}")
        specs.append(spec)
    return specs


def items_nest(schema: dict[str, Any]) -> bool:
    """Whether the items of a top-level array of ``schema`` hold an object or an array of objects (a key name taken
    twice can leave a nested draft without one)."""
    for sub in schema["properties"].values():
        if is_object_array(sub):
            for inner in sub["items"]["properties"].values():
                if inner.get("type") == "object" or is_object_array(inner):
                    return True
    return False


def band_of(schema: dict[str, Any]) -> str:
    """The band a generated schema belongs to: complex with an array of objects, medium with a nested object."""
    subs = schema["properties"].values()
    if any(is_object_array(s) for s in subs):
        return "complex"
    return "medium" if any(s.get("type") == "object" for s in subs) else "simple"
