"""OWASP API7:2023 Server Side Request Forgery: kotwal fetches nothing on a caller's behalf.
No input field takes a URL today; this test fails the day one appears, so that it arrives with
the checks the issue asks for (no loopback, link-local or file URLs)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.helpers import backend_independent

URL_HINTS = ("url", "uri", "href", "link", "callback", "webhook", "endpoint")


def _named_like_a_url(name: str) -> bool:
    words = name.lower().replace("-", "_").split("_")
    return any(word in URL_HINTS for word in words)


def _fields(schema: Any, components: dict[str, Any], seen: set[str]) -> list[tuple[str, Any]]:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            if name in seen:
                return []
            return _fields(components.get(name, {}), components, seen | {name})
        found = [(k, v) for k, v in schema.get("properties", {}).items()]
        for value in schema.values():
            found += _fields(value, components, seen)
        return found
    if isinstance(schema, list):
        return [f for item in schema for f in _fields(item, components, seen)]
    return []


@backend_independent
def test_no_input_takes_a_url(app: FastAPI) -> None:
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    suspicious = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            inputs = [op.get("requestBody", {}), *op.get("parameters", [])]
            for name, field in _fields(inputs, components, set()):
                is_url = isinstance(field, dict) and field.get("format") in ("uri", "url")
                if is_url or _named_like_a_url(name):
                    suspicious.append(f"{method.upper()} {path}: {name}")
            for param in op.get("parameters", []):
                if _named_like_a_url(param["name"]):
                    suspicious.append(f"{method.upper()} {path}: {param['name']}")
    assert suspicious == []
