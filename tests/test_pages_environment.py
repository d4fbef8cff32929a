"""The pages' Jinja2 environment looks up `row.name` on dicts as Jinja2 itself does."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from api.pages.render import ENVIRONMENT, PageEnvironment


def render(source: str, **context: object) -> str:
    return ENVIRONMENT.from_string(source).render(**context)


def test_a_dict_key_is_found_as_an_attribute() -> None:
    assert isinstance(ENVIRONMENT, PageEnvironment)
    row = {"title": "Haushalt", "count": 3}
    assert render("{{ r.title }}|{{ r.count }}", r=row) == "Haushalt|3"


def test_dict_methods_stay_methods_even_beside_a_key_of_their_name() -> None:
    row = {"items": "Kita", "get": "x"}
    assert render("{% for k, v in r.items() %}{{ k }};{% endfor %}", r=row) == "items;get;"
    assert render("{{ r.get('items') }}", r=row) == "Kita"
    assert render("{{ r['items'] }}", r=row) == "Kita"


def test_a_missing_key_is_strictly_undefined() -> None:
    with pytest.raises(UndefinedError, match="has no attribute 'missing'"):
        render("{{ r.missing }}", r={"title": "x"})


def test_other_objects_keep_attribute_first_lookup() -> None:
    class Row(dict[str, str]):
        title = "attribute"

    assert render("{{ r.title }}", r=Row(title="key")) == "attribute"
    assert render("{{ d.year }}", d=__import__("datetime").date(2018, 6, 19)) == "2018"
