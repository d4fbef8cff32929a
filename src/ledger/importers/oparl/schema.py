"""Checks OParl objects against the official OParl 1.1 schemas (copied into `schemas/`).

The schemas use a handful of JSON Schema keywords: `type`, `required`, `properties`,
`items`, `pattern` and `format`. This module checks exactly those, so the import needs no
JSON Schema library at run time (jsonschema is not a dependency of the ledger, and by
default it does not check `format` at all: it would let an empty `created` through, which
the import must refuse). Formats: `date-time` (RFC 3339; a time without an offset is
allowed, as some servers write it) and `date` are checked strictly; `url` is checked for
an object's `id` (an absolute http(s) URL), elsewhere only as a string, since real servers
write websites without a scheme. Embedded objects are checked on their own, by the schema
of their own type, where the import uses them.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCHEMAS = Path(__file__).parent / "schemas"
TYPE_PREFIX = "https://schema.oparl.org/1.1/"
OLD_TYPE = re.compile(r"^https?://schema\.oparl\.org/1\.0/(\w+)$")
KINDS = (
    "System",
    "Body",
    "Organization",
    "Membership",
    "Person",
    "Meeting",
    "AgendaItem",
    "Paper",
    "Consultation",
    "File",
    "LegislativeTerm",
    "Location",
)
DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$",
    re.ASCII,
)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}
# Values quoted in a reason are cut to this many characters.
SHOWN = 60


@cache
def schema_of(kind: str) -> dict[str, Any]:
    """The official schema of an OParl 1.1 object type, e.g. "Paper"."""
    if kind not in KINDS:
        raise KeyError(kind)
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{kind}.json").read_text(encoding="utf-8"))
    return loaded


def kind_of(obj: Any) -> str | None:
    """The OParl 1.1 type of an object ("Paper"), or None if it has none we know."""
    if not isinstance(obj, dict):
        return None
    type_url = obj.get("type")
    if isinstance(type_url, str) and type_url.startswith(TYPE_PREFIX):
        kind = type_url[len(TYPE_PREFIX) :]
        return kind if kind in KINDS else None
    return None


def problems(obj: Any, kind: str) -> list[str]:
    """Why `obj` is not a valid OParl 1.1 `kind` (empty: it is valid).

    A deleted object (`deleted: true`) may drop every attribute but id, type and created
    (spec 2.8); only those are checked then.
    """
    if not isinstance(obj, dict):
        return [f"is not a JSON object but {_json_type(obj)}"]
    found = _type_problem(obj, kind)
    if found:
        return [found]
    schema = schema_of(kind)
    properties: dict[str, Any] = schema.get("properties", {})
    deleted = obj.get("deleted") is True
    required = ["id", "type"] if deleted else list(schema.get("required", []))
    out = [f"the required field '{name}' is missing" for name in required if name not in obj]
    for name, value in obj.items():
        spec = properties.get(name)
        if spec is None or (deleted and name not in ("id", "type", "created", "modified")):
            continue
        out.extend(_value_problems(name, value, spec))
    if not out and not _absolute_url(obj.get("id")):
        out.append(f"the field 'id' must be an absolute http(s) URL, got {_shown(obj.get('id'))}")
    return out


def _type_problem(obj: dict[str, Any], kind: str) -> str | None:
    type_url = obj.get("type")
    if not isinstance(type_url, str):
        return f"the field 'type' must name an OParl 1.1 type, got {_shown(type_url)}"
    old = OLD_TYPE.match(type_url)
    if old:
        return (
            f"is an OParl 1.0 object (type {type_url}); the import reads OParl 1.1 "
            f"({TYPE_PREFIX}{old.group(1)})"
        )
    if type_url != TYPE_PREFIX + kind:
        return f"the field 'type' must be {TYPE_PREFIX}{kind} here, got {_shown(type_url)}"
    return None


def _value_problems(name: str, value: Any, spec: dict[str, Any]) -> list[str]:
    wanted = spec.get("type")
    if isinstance(wanted, str) and not _is_type(value, wanted):
        return [f"the field '{name}' must be {_article(wanted)}, got {_json_type(value)}"]
    if wanted == "array":
        item_spec = spec.get("items")
        if isinstance(item_spec, dict):
            for index, item in enumerate(value):
                found = _value_problems(f"{name}[{index}]", item, item_spec)
                if found:
                    return found
        return []
    if not isinstance(value, str):
        return []
    pattern = spec.get("pattern")
    if isinstance(pattern, str) and not re.search(pattern, value):
        return [f"the field '{name}' does not match {pattern}: {_shown(value)}"]
    form = spec.get("format")
    if form == "date-time" and not is_date_time(value):
        return [
            f"the field '{name}' must be a date-time such as 2018-06-19T17:00:00+02:00, "
            f"got {_shown(value)}"
        ]
    if form == "date" and not is_date(value):
        return [f"the field '{name}' must be a date such as 2018-06-19, got {_shown(value)}"]
    return []


def is_date_time(value: str) -> bool:
    """Whether `value` is an RFC 3339 date-time (the offset may be missing)."""
    if not DATE_TIME.match(value):
        return False
    text = value.replace("z", "Z").replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_date(value: str) -> bool:
    """Whether `value` is a real calendar date YYYY-MM-DD."""
    if not DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _absolute_url(value: Any) -> bool:
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_type(value: Any, wanted: str) -> bool:
    types = JSON_TYPES.get(wanted)
    if types is None:
        return True
    if isinstance(value, bool) and wanted in ("integer", "number"):
        return False
    return isinstance(value, types)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {_shown(value)}"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _article(wanted: str) -> str:
    return {"integer": "an integer", "array": "an array", "object": "an object"}.get(
        wanted, f"a {wanted}"
    )


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) > SHOWN:
        return f"{text[:SHOWN]!r}..."
    return repr(text) if isinstance(value, str) else text
