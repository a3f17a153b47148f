"""Field values: one generator per ``gen:`` word of a spec, backed by Faker in several locales.

A spec writes ``gen: "money 5 500"`` or ``gen: "email_for name"``; :func:`generate` runs it in a :class:`Scope`
(the random state of one example plus the objects being filled, so a value can follow other fields).

Generators: ``person company job phone domain username ipv4 iban swift email product title version``;
``email_for FIELD`` (an address made from a name); ``place city|country|street|postcode|latitude|longitude``
(one coherent place per object); ``code PATTERN`` (``#`` digit, ``?`` letter); ``hex N``; ``int LO HI [STEP]``;
``float LO HI [DECIMALS]``; ``money LO HI``; ``bool [P]``; ``enum`` (the schema's); ``choice`` (the spec's
``choices``); ``pool NAME KEY``; ``date FROM TO`` and ``datetime FROM TO`` (offsets like ``-2y``, ``+30d``,
``now``); ``after FIELD LO HI [d|h|m]``; ``timestamp FROM TO`` (seconds, sometimes a fraction or a UTC offset);
``uuid``; ``sentence`` (one or two sentences with their punctuation); ``url``. Any of them may end with
``except FIELD`` (differ from that field).
``FIELD`` is a sibling's key, ``^key.sub`` reaches into the parent object.

Usage: ``generate("int 1 10", scope, schema, field_spec)``
"""

from __future__ import annotations

import random
import re
import string
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from faker import Faker

# locale -> (country name in English, latitude range, longitude range, weight)
LOCALES: dict[str, tuple[str, tuple[float, float], tuple[float, float], int]] = {
    "en_US": ("United States", (30.0, 47.0), (-122.0, -75.0), 8),
    "en_GB": ("United Kingdom", (50.5, 57.5), (-4.5, 1.5), 3),
    "en_CA": ("Canada", (43.5, 53.0), (-123.0, -66.0), 2),
    "en_AU": ("Australia", (-37.5, -17.0), (115.0, 153.0), 2),
    "en_IE": ("Ireland", (51.7, 55.0), (-9.8, -6.2), 1),
    "de_DE": ("Germany", (47.5, 54.5), (6.5, 14.5), 2),
    "fr_FR": ("France", (43.5, 50.5), (-1.5, 7.0), 2),
    "es_ES": ("Spain", (37.0, 43.0), (-8.0, 2.5), 1),
    "pt_PT": ("Portugal", (37.2, 41.8), (-8.9, -7.0), 1),
    "nl_NL": ("Netherlands", (51.5, 53.2), (4.0, 6.8), 1),
}
_FAKERS = {code: Faker(code) for code in LOCALES}
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_NOW = datetime(2025, 6, 30, tzinfo=timezone.utc)  # fixed "today": builds must not depend on the clock

PRODUCT_ADJECTIVES = (
    "Compact", "Wireless", "Ergonomic", "Stainless", "Foldable", "Solar", "Classic", "Portable", "Smart", "Bamboo",
    "Heavy-Duty", "Insulated", "Cordless", "Vintage", "Waterproof", "Magnetic", "Recycled", "Adjustable",
)  # fmt: skip
PRODUCT_NOUNS = (
    "Desk Lamp", "Backpack", "Kettle", "Headphones", "Water Bottle", "Yoga Mat", "Phone Stand", "Blender",
    "Hiking Boots", "Notebook", "Espresso Grinder", "Garden Hose", "Drill Set", "Keyboard", "Rain Jacket",
    "Cutting Board", "Air Purifier", "Bike Light", "Camping Stove", "Office Chair", "Board Game", "Thermos",
)  # fmt: skip


@dataclass
class Scope:
    """Random state of one example and the objects being filled (innermost last)."""

    rng: random.Random
    locale: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    pools: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fake(self) -> Faker:
        return _FAKERS[self.locale]

    @property
    def here(self) -> dict[str, Any]:
        return self.objects[-1]

    def lookup(self, ref: str) -> Any:
        """A value near the object being filled: ``"name"`` (sibling), ``"^departure.time"`` (one level up)."""
        depth = len(ref) - len(ref.lstrip("^"))
        value: Any = self.objects[-1 - depth]
        for key in ref.lstrip("^").split("."):
            value = value[key]
        return value

    @property
    def record(self) -> dict[str, Any]:
        """Shared picks of the object being filled (one place, one pool entry per object)."""
        return self.records[-1]


def pick_locale(rng: random.Random) -> str:
    codes = list(LOCALES)
    return rng.choices(codes, weights=[LOCALES[c][3] for c in codes])[0]


def ascii_slug(text: str) -> str:
    """``"José Müller"`` -> ``"josemuller"``: what an email address makes of a name."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _email_for(name: str, scope: Scope) -> str:
    parts = [ascii_slug(p) for p in name.split() if ascii_slug(p)]
    first, last = parts[0], parts[-1]
    local = scope.rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{scope.rng.randint(1, 99)}", first])
    return f"{local}@{scope.fake.free_email_domain() if scope.rng.random() < 0.5 else scope.fake.domain_name()}"


def _place(scope: Scope) -> dict[str, Any]:
    """City, country, street, postcode and coordinates from one locale, shared by one object."""
    if "place" not in scope.record:
        code = pick_locale(scope.rng) if scope.rng.random() < 0.6 else scope.locale
        fake, (country, lat, lon, _) = _FAKERS[code], LOCALES[code]
        fake.seed_instance(scope.rng.getrandbits(32))
        scope.record["place"] = {
            "city": fake.city(),
            "country": country,
            "street": fake.street_address().replace("\n", ", "),
            "postcode": fake.postcode(),
            "latitude": round(scope.rng.uniform(*lat), 4),
            "longitude": round(scope.rng.uniform(*lon), 4),
        }
    return scope.record["place"]


def _date(text: str) -> date:
    return _NOW.date() + _offset(text)


def _offset(text: str) -> timedelta:
    """``"-2y"``, ``"+30d"``, ``"-12h"``, ``"now"`` -> a timedelta."""
    if text == "now":
        return timedelta(0)
    match = re.fullmatch(r"([+-]\d+)([ydhm])", text)
    if not match:
        raise ValueError(f"bad time offset {text!r}: write e.g. -2y, +30d, -12h or +45m")
    amount, unit = int(match[1]), match[2]
    return {"y": timedelta(days=365 * amount), "d": timedelta(days=amount), "h": timedelta(hours=amount)}.get(
        unit, timedelta(minutes=amount)
    )


def _iso_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:00Z")


def _after(args: list[str], scope: Scope) -> str:
    """A date or date-time after another field's: ``after start 3 40`` (days), ``after ^departure.time 1 9 h``."""
    base, lo, hi = scope.lookup(args[0]), int(args[1]), int(args[2])
    step = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}[
        args[3] if len(args) > 3 else "d"
    ]
    if "T" in base:
        moment = datetime.strptime(base, "%Y-%m-%dT%H:%M:%SZ") + step * scope.rng.randint(lo, hi)
        return _iso_datetime(moment)
    return (date.fromisoformat(base) + step * scope.rng.randint(lo, hi)).isoformat()


def _timestamp(args: list[str], scope: Scope) -> str:
    """An RFC 3339 date-time with seconds: ``Z`` or an offset, no fraction or one of 3 or 6 digits."""
    start, end = _NOW + _offset(args[0]), _NOW + _offset(args[1])
    moment = start + timedelta(seconds=scope.rng.randint(0, int((end - start).total_seconds())))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    digits = scope.rng.choice([0, 0, 3, 6])
    if digits:
        text += "." + "".join(str(scope.rng.randint(0, 9)) for _ in range(digits))
    if scope.rng.random() < 0.7:
        return text + "Z"
    hours = scope.rng.choice([-8, -5, -3, 1, 2, 3, 5, 8, 9])
    minutes = scope.rng.choice([0, 0, 0, 30]) if hours not in (-8, -5) else 0
    return text + f"{'+' if hours > 0 else '-'}{abs(hours):02d}:{minutes:02d}"


def _sentence(scope: Scope) -> str:
    """One or two sentences, each keeping its final punctuation."""
    parts = []
    for _ in range(scope.rng.choice([1, 1, 2])):
        words = scope.fake.sentence(nb_words=scope.rng.randint(3, 12)).rstrip(".")
        parts.append(words + scope.rng.choice([".", ".", ".", "!", "?"]))
    return " ".join(parts)


def _number(args: list[str], scope: Scope, decimals: int) -> float:
    lo, hi = float(args[0]), float(args[1])
    return round(scope.rng.uniform(lo, hi), decimals)


def generate(gen: str, scope: Scope, schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """One value for ``gen`` (see the module docstring); ``spec`` is the field's spec (for ``choices``)."""
    words = gen.split()
    kind, args = words[0], words[1:]
    if "except" in args:  # "<gen> except sibling": draw again until it differs from the sibling's value
        cut = args.index("except")
        other = scope.lookup(args[cut + 1])
        inner = " ".join(words[: cut + 1])
        for _ in range(50):
            scope.record.pop("place", None)  # a place is shared by its object: let the retry pick another
            value = generate(inner, scope, schema, spec)
            if value != other:
                return value
        raise ValueError(f"{gen!r}: could not draw a value different from {other!r}")
    rng, fake = scope.rng, scope.fake
    simple = {
        "person": lambda: f"{fake.first_name()} {fake.last_name()}",
        "company": fake.company,
        "job": fake.job,
        "phone": fake.phone_number,
        "domain": fake.domain_name,
        "username": fake.user_name,
        "ipv4": fake.ipv4_public,
        "iban": fake.iban,
        "swift": fake.swift,
    }
    if kind in simple:
        return simple[kind]()
    if kind == "email":
        return _email_for(f"{fake.first_name()} {fake.last_name()}", scope)
    if kind == "email_for":
        return _email_for(scope.lookup(args[0]), scope)
    if kind == "place":
        return _place(scope)[args[0]]
    if kind == "code":  # code INV-####-??: # is a digit, ? an upper-case letter
        return "".join(
            str(rng.randint(0, 9)) if c == "#" else rng.choice(_LETTERS) if c == "?" else c for c in " ".join(args)
        )
    if kind == "hex":
        return "".join(rng.choice("0123456789abcdef") for _ in range(int(args[0])))
    if kind == "int":
        step = int(args[2]) if len(args) > 2 else 1
        return rng.randrange(int(args[0]), int(args[1]) + 1, step)
    if kind == "float":
        return _number(args, scope, int(args[2]) if len(args) > 2 else 1)
    if kind == "money":
        return _number(args, scope, 2)
    if kind == "bool":
        return rng.random() < (float(args[0]) if args else 0.5)
    if kind == "enum":
        return rng.choice(schema["enum"])
    if kind == "choice":
        return rng.choice(spec["choices"])
    if kind == "pool":  # pool NAME KEY: one entry of the spec's pool NAME per object, KEY read from it
        name = f"pool:{args[0]}"  # shared with the enclosing objects: a device's type and its reading's unit agree
        entry = next((r[name] for r in reversed(scope.records) if name in r), None)
        if entry is None:
            entry = scope.record[name] = rng.choice(scope.pools[args[0]])
        value = entry[args[1]]
        if isinstance(value, list):  # a range: [lo, hi] integers or [lo, hi, decimals]
            if len(value) == 2:
                return rng.randint(value[0], value[1])
            return round(rng.uniform(value[0], value[1]), value[2])
        return value
    if kind == "product":
        return f"{rng.choice(PRODUCT_ADJECTIVES)} {rng.choice(PRODUCT_NOUNS)}"
    if kind == "title":
        return string.capwords(fake.catch_phrase())
    if kind == "version":
        return f"{rng.randint(1, 5)}.{rng.randint(0, 19)}.{rng.randint(0, 9)}"
    if kind == "date":
        start, end = _date(args[0]), _date(args[1])
        return (start + timedelta(days=rng.randint(0, (end - start).days))).isoformat()
    if kind == "datetime":
        start, end = _NOW + _offset(args[0]), _NOW + _offset(args[1])
        return _iso_datetime(start + timedelta(minutes=rng.randint(0, int((end - start).total_seconds() // 60))))
    if kind == "after":
        return _after(args, scope)
    if kind == "timestamp":
        return _timestamp(args, scope)
    if kind == "uuid":
        return "-".join("".join(rng.choice("0123456789abcdef") for _ in range(n)) for n in (8, 4, 4, 4, 12))
    if kind == "sentence":
        return _sentence(scope)
    if kind == "url":
        return fake.url()
    raise ValueError(f"unknown generator {kind!r} in gen {gen!r}")
