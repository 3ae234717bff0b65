"""The shape of a JSON document, to check that two commands answer with one schema
(`status --json` on compose and on swarm)."""

from __future__ import annotations

import json
from typing import Any


def status_schema(value: Any) -> Any:
    """The shape of a JSON value: dicts by key, lists by their items' merged shape, scalars
    by type name (`null` for None: it matches any type)."""
    if isinstance(value, dict):
        return {k: status_schema(v) for k, v in value.items()}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = merge_schema(merged, status_schema(item))
        return [] if merged is None else [merged]
    if value is None:
        return "null"
    return {bool: "bool", int: "number", float: "number", str: "str"}[type(value)]


def merge_schema(a: Any, b: Any) -> Any:
    """The shape covering both `a` and `b` (dict keys united)."""
    if a is None or a == "null":
        return b
    if b == "null":
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: merge_schema(a.get(k), b.get(k)) for k in {**a, **b}}
    return a


def schema_differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Where two shapes differ (a key on one side only, another type); `null` and an
    empty list match anything of their kind."""
    if a == "null" or b == "null" or a == b:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}.{k}: only on one side" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out += schema_differences(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        return [] if not a or not b else schema_differences(a[0], b[0], f"{where}[]")
    return [f"{where or '.'}: {json.dumps(a)[:60]} vs {json.dumps(b)[:60]}"]
