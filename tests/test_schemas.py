from __future__ import annotations

from typing import Any

from summarize.schemas import ArticleSummary, draft_json_schema


def _objects(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [schema, *schema.get("$defs", {}).values()]


def test_draft_schema_is_strict_mode_compatible() -> None:
    for obj in _objects(draft_json_schema()):
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
        for prop in obj["properties"].values():
            assert "default" not in prop


def test_every_field_is_described() -> None:
    for schema in (draft_json_schema(), ArticleSummary.model_json_schema()):
        for obj in _objects(schema):
            if "properties" not in obj:
                continue
            for name, prop in obj["properties"].items():
                assert prop.get("description"), f"{obj.get('title')}.{name} has no description"
