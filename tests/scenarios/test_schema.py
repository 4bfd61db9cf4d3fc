"""Scenario files: round trip, composition, presets and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecast.data.errors import InputError
from carecast.scenarios import schema

BROKEN = Path(__file__).parent / "broken"
ENTRIES = """
name: A
levers:
  - name: early help
    kind: entries
    start: 2026-04-01
    phase_in_years: 2
    reduce_percent: 20
    segment: {age: [under_1, 1_to_4, 5_to_9], need: [N4, N5]}
investment:
  - start: 2026-04-01
    gbp_per_family: 3000
    families_per_year: 100
"""


def test_yaml_round_trip(tmp_path: Path) -> None:
    scenario = schema.parse(ENTRIES)
    again = schema.load(scenario.save(tmp_path / "a.yaml"))
    assert again == scenario
    assert again.investment[0].annual_gbp == 300_000


def test_composition_later_wins() -> None:
    a = schema.parse(ENTRIES)
    b = schema.parse("""
name: B
parameter_changes:
  costs.inflation_assumption: {2025-04-01: high}
levers:
  - name: early help
    kind: entries
    start: 2027-04-01
    reduce_percent: 10
  - kind: exits
    start: 2026-04-01
    route: reunification
    raise_percent: 15
""")
    both = a + b
    assert both.name == "A + B"
    assert [lv.kind for lv in both.levers] == ["entries", "exits"]
    assert both.levers[0].reduce_percent == 10  # b's lever of the same name wins
    assert both.investment == a.investment
    assert both.parameter_changes == b.parameter_changes
    assert (b + a).levers[-1].reduce_percent == 20
    assert (a + schema.Scenario(name="empty")).levers == a.levers


def test_every_preset_parses_with_description_and_sources() -> None:
    names = schema.preset_names()
    assert "avoidable_entries" in names and len(names) >= 5
    for name in names:
        s = schema.load(name)
        assert s.description and s.sources and s.levers, name


@pytest.mark.parametrize(("file", "line", "key"), [
    ("unknown_key.yaml", 5, "levers.0.reduce_percnt"),
    ("bad_date.yaml", 6, "levers.0.start"),
    ("bad_segment.yaml", 6, "levers.0.segment"),
    ("not_yaml.yaml", None, None),
])
def test_broken_files_name_file_line_and_key(file: str, line: int | None, key: str | None
                                             ) -> None:
    with pytest.raises(InputError) as info:
        schema.load(BROKEN / file)
    message = str(info.value)
    assert file in message
    if line is not None:
        assert info.value.row == line and f"'{key}'" in message
    else:
        assert "not valid YAML" in message


def test_unknown_file_lists_presets() -> None:
    with pytest.raises(InputError, match="avoidable_entries"):
        schema.load("no_such_scenario")
