from pathlib import Path

import pytest

from carecast import params

BROKEN = Path(__file__).parent / "broken_params"


def test_every_shipped_parameter_loads_with_label_unit_and_reference():
    loaded = params.all_parameters()
    assert "data.measures" in loaded and "data.reorganisations" in loaded
    for parameter in loaded.values():
        assert parameter.label and parameter.unit
        assert parameter.description.endswith(".")
        assert all(v.references for v in parameter.values)


@pytest.mark.parametrize(
    ("name", "line", "key"),
    [
        ("duplicate_key", 8, "2024-04-01"),
        ("wrong_date", 3, "April 2024"),
        ("unexpected_key", 11, "defaults"),
        ("no_reference", 3, "2024-04-01"),
        ("no_unit", 8, "metadata"),
    ],
)
def test_broken_parameter_files_name_file_line_and_key(name, line, key):
    path = BROKEN / f"{name}.yaml"
    with pytest.raises(params.ParameterError) as caught:
        params.load_file(path, root=BROKEN)
    message = str(caught.value)
    assert str(path) in message
    assert f"line {line}" in message
    assert key in message


def test_a_mapping_names_the_unit_of_each_of_its_numbers():
    path = BROKEN / "mapping_without_units.yaml"
    with pytest.raises(params.ParameterError, match="no unit for window") as caught:
        params.load_file(path, root=BROKEN)
    assert str(path) in str(caught.value) and "method" not in str(caught.value)
    forecast = params.get("model.council_forecast")
    assert forecast.unit_of("window") == "years" and forecast.unit == "mapping"


def test_value_in_force_follows_effective_dates():
    text = """
description: A parameter that changed once.
values:
  2020-04-01:
    value: 10
    reference: [{title: old, href: https://example.org/a}]
  2023-04-01:
    value: 12
    reference: [{title: new, href: https://example.org/b}]
metadata: {label: Example, unit: count}
"""
    p = params.parse_parameter(text, "example", "example.yaml")
    assert p.at("2021-01-01") == 10
    assert p.at("2023-04-01") == 12
    assert p.at() == 12
    with pytest.raises(KeyError):
        p.at("2019-01-01")
