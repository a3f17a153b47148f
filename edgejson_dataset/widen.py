"""Values training rows see beyond the specs' own: a free-form string set to arbitrary words or to sentences, a
date-time written as software prints it (no zone, 0 to 9 fraction digits: ``2005-07-03T17:42:53.545351``).

Texts from elsewhere fill a name with any word (``Assigned To: See``), a note with several sentences and a timestamp
without its zone; a model trained only on coherent values and RFC 3339 times drops the first, keeps one sentence of
the second and adds a zone to the third. Only ``train`` rows are widened (each by its own seeded draw), so every
evaluation split keeps its values.

Usage: ``obj = widen(spec, obj, rng)``
"""

from __future__ import annotations

import copy
import random
import re
from typing import Any

from faker import Faker

from edgejson_dataset.spec import Spec, join

# Generators of values with a shape of their own (an address, a code), which a word or a sentence would not fit.
SHAPED = ("email", "email_for", "phone", "iban", "swift", "ipv", "domain", "version", "username", "code", "date",
          "datetime", "after")  # fmt: skip
CONSTRAINTS = ("format", "enum", "pattern", "const", "minLength", "maxLength")
P_WORDS = 0.25  # chance a row gets one field of arbitrary words
P_SENTENCES = 0.2  # chance a row gets one field of several sentences
P_NAIVE = 0.3  # chance each date-time outside arrays loses its zone
_FAKE = Faker("en_US")


def strings(spec: Spec, obj: dict[str, Any], schema: dict[str, Any] | None = None, prefix: str = "") -> list:
    """(key path, value, schema, spec) of every string of ``obj`` outside arrays."""
    schema = schema or spec.schema
    found = []
    for key, value in obj.items():
        sub, path = schema["properties"][key], join(prefix, key)
        if isinstance(value, dict):
            found += [([key, *rest], v, s, fs) for rest, v, s, fs in strings(spec, value, sub, path)]
        elif isinstance(value, str):
            found.append(([key], value, sub, spec.of(path)))
    return found


def _free(schema: dict[str, Any], fs: dict[str, Any]) -> bool:
    """A free-form string: no format, enum or pattern, and a generator without a shape of its own."""
    gen = fs.get("gen", "")
    return bool(gen) and gen.split()[0] not in SHAPED and not any(c in schema for c in CONSTRAINTS)


def _set(obj: dict[str, Any], path: list[str], value: str) -> None:
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


def _words(rng: random.Random) -> str:
    words = _FAKE.words(rng.choice([1, 1, 1, 2]))
    return " ".join(words).capitalize() if rng.random() < 0.7 else " ".join(words)


def _sentences(rng: random.Random) -> str:
    return " ".join(_FAKE.sentences(rng.randint(2, 4)))


def naive(value: str, rng: random.Random) -> str:
    """A date-time without its zone, its seconds given 0 to 9 fraction digits."""
    clock = re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", value)[0]
    digits = rng.choice([0, 0, 3, 6, 6, rng.randint(1, 9)])
    return clock + ("." + "".join(str(rng.randint(0, 9)) for _ in range(digits)) if digits else "")


def widen(spec: Spec, obj: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``obj`` with, by chance, one free-form string set to arbitrary words, one to several sentences, and
    date-times without their zone."""
    found = strings(spec, obj)
    free = [path for path, _, schema, fs in found if _free(schema, fs)]
    _FAKE.seed_instance(rng.getrandbits(32))
    out = copy.deepcopy(obj)
    for chance, make in ((P_WORDS, _words), (P_SENTENCES, _sentences)):
        if free and rng.random() < chance:
            _set(out, free.pop(rng.randrange(len(free))), make(rng))
    for path, value, schema, _ in found:
        if schema.get("format") == "date-time" and rng.random() < P_NAIVE:
            _set(out, path, naive(value, rng))
    return out
