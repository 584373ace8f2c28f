"""Field paths in problem details: one spelling for validators' locations everywhere."""

from __future__ import annotations

import pytest

from registration.domain.application import field_path


@pytest.mark.parametrize(
    ("location", "prefix", "path"),
    [
        (("shareholders", 0, "share_percent"), "", "shareholders[0].share_percent"),
        (("company", "business_scope", 2), "", "company.business_scope[2]"),
        ((0, "name"), "", "[0].name"),
        (("name",), "persons[1]", "persons[1].name"),
        ((), "", "body"),
    ],
)
def test_locations_become_field_paths(
    location: tuple[str | int, ...], prefix: str, path: str
) -> None:
    assert field_path(location, prefix) == path
