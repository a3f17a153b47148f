"""Schemas by id and by file: bands, descriptions, bad input."""

import pytest

from edgejson.schemas import SchemaError, complexity_of, load_schema, schema_ids
from edgejson_dataset.spec import check_derive


def _shape(schema, level=1):
    """(leaf count, deepest object level with the root at 1, has an array of objects) of a schema."""
    kind = schema.get("type")
    if kind == "object":
        parts = [_shape(sub, level + 1) for sub in schema["properties"].values()]
        return sum(p[0] for p in parts), max([level] + [p[1] for p in parts]), any(p[2] for p in parts)
    if kind == "array":
        items = schema["items"]
        leaves, deepest, nested = _shape(items, level)
        return leaves, deepest, nested or items.get("type") == "object"
    return 1, level - 1, False


def _described(schema, pointer=""):
    for key, sub in schema.get("properties", {}).items():
        assert sub.get("description"), f"{pointer}/properties/{key} has no description"
        _described(sub, f"{pointer}/properties/{key}")
    if "items" in schema:
        _described(schema["items"], pointer + "/items")


@pytest.mark.parametrize("schema_id", schema_ids())
def test_schema_fits_its_band_and_describes_every_property(schema_id):
    schema = load_schema(schema_id)
    _described(schema)
    leaves, levels, arrays_of_objects = _shape(schema)
    band = complexity_of(schema_id)
    if band == "simple":
        assert 2 <= len(schema["properties"]) <= 5 and levels == 1
    elif band == "medium":
        assert 5 <= leaves <= 12 and 2 <= levels <= 3
    else:
        assert leaves >= 12 and levels >= 3 and arrays_of_objects


def test_bands_hold_enough_seen_and_held_out_schemas():
    seen, held = schema_ids(held_out=False), schema_ids(held_out=True)
    assert len(seen) >= 24 and len(held) >= 6
    for band in ("simple", "medium", "complex"):
        assert sum(complexity_of(h) == band for h in held) >= 2


def test_malformed_schema_file_names_file_and_pointer(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"type": "object", "properties": {"age": {"type": "integr"}}}')
    with pytest.raises(SchemaError, match=r"broken\.json: invalid schema at /properties/age/type"):
        load_schema(path)
    path.write_text('{"type": "object",\n "properties": }')
    with pytest.raises(SchemaError, match=r"broken\.json: not valid JSON at line 2"):
        load_schema(path)


def test_unknown_schema_id_lists_the_known_ones():
    with pytest.raises(SchemaError, match=r"unknown schema id 'recipe'.*contact_info"):
        load_schema("recipe")


@pytest.mark.parametrize("expr", ["__import__('os')", "quantity.real", "[x for x in items]", "open('f')"])
def test_derive_expressions_allow_only_arithmetic(expr):
    with pytest.raises((ValueError, SyntaxError)):
        check_derive(expr)
