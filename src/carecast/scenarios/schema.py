"""The scenario file: a named set of service-level changes to a baseline forecast.

A scenario is a *delta*, never an edit: it lists levers (entries, exits, placement mix, unit
costs, recruitment and retention of social workers), an investment and optional parameter
overrides, each with a start date and a phase-in. ``a + b`` composes two scenarios; where
both name the same lever or investment, or override the same parameter date, the later one
wins. Files are YAML; a bad file raises
:class:`~carecast.data.errors.InputError` naming the file, line and key.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from carecast import params
from carecast.costs.mix import categories
from carecast.data.errors import InputError

CATEGORIES = categories()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    title: str
    href: str


class Segment(_Strict):
    """Entries of children in these groups only (DfE 'started' tables; short names in
    ``parameters/scenarios/segments.yaml``). Empty lists mean everyone."""

    age: list[str] = []
    need: list[str] = []
    legal_status: list[str] = []

    @model_validator(mode="after")
    def _known(self) -> Segment:
        names = params.value("scenarios.segments")
        for field in ("age", "need", "legal_status"):
            unknown = sorted(set(getattr(self, field)) - set(names[field]))
            if unknown:
                raise ValueError(f"unknown {field} {unknown}; use one of {sorted(names[field])}")
        return self


class _Lever(_Strict):
    """Common timing: effect ramps linearly from ``start`` to full over ``phase_in_years``."""

    name: str | None = None
    start: dt.date
    phase_in_years: float | None = Field(default=None, ge=0, le=20)
    note: str = ""


class EntriesLever(_Lever):
    """Fewer children entering care: by a percentage or by a number a year."""

    kind: Literal["entries"]
    reduce_percent: float | None = Field(default=None, ge=0, le=100)
    reduce_per_year: float | None = Field(default=None, ge=0)
    segment: Segment | None = None

    @model_validator(mode="after")
    def _one(self) -> EntriesLever:
        if (self.reduce_percent is None) == (self.reduce_per_year is None):
            raise ValueError("give exactly one of reduce_percent or reduce_per_year")
        return self


class ExitsLever(_Lever):
    """More children leaving care by one route, or shorter time in care overall."""

    kind: Literal["exits"]
    route: Literal["reunification", "special_guardianship", "adoption",
                   "child_arrangements"] | None = None
    raise_percent: float | None = Field(default=None, ge=0, le=500)
    shorten_time_percent: float | None = Field(default=None, ge=0, lt=100)

    @model_validator(mode="after")
    def _one(self) -> ExitsLever:
        if (self.raise_percent is None) == (self.shorten_time_percent is None):
            raise ValueError("give exactly one of raise_percent or shorten_time_percent")
        if (self.raise_percent is None) != (self.route is None):
            raise ValueError("raise_percent needs a route; shorten_time_percent takes none")
        return self


class PlacementMoveLever(_Lever):
    """Move children from one placement category to another (e.g. residential to fostering):
    a number a year (moved children stay moved until they leave care), or down to a target
    share of children in care (a fraction, or the statistical neighbours' median)."""

    kind: Literal["placement_move"]
    from_category: Literal[CATEGORIES] = "residential"  # type: ignore[valid-type]
    to_category: Literal[CATEGORIES] = "fostering"  # type: ignore[valid-type]
    children_per_year: float | None = Field(default=None, gt=0)
    target_share: float | Literal["neighbours_median"] | None = None

    @model_validator(mode="after")
    def _one(self) -> PlacementMoveLever:
        if (self.children_per_year is None) == (self.target_share is None):
            raise ValueError("give exactly one of children_per_year or target_share")
        if isinstance(self.target_share, float) and not 0 <= self.target_share <= 1:
            raise ValueError("target_share is a fraction from 0 to 1")
        if self.from_category == self.to_category:
            raise ValueError("from_category and to_category must differ")
        return self


GAP = "sufficiency_gap"


class FosterCarersLever(_Lever):
    """Recruit in-house foster carers, each caring for some children who would otherwise be
    with independent fostering agencies (IFAs). DfE publishes no council split of fostering
    by provider, so the weekly IFA premium over in-house care is the user's stated
    assumption; a one-off cost per carer recruited counts as investment.

    ``carers_per_year: sufficiency_gap`` takes the households a year that close the
    council's fostering gap (``carecast placements sufficiency``); the service layer sets
    the number before the scenario runs (scenarios never read the placements layer)."""

    kind: Literal["foster_carers"]
    carers_per_year: Annotated[float, Field(gt=0)] | Literal["sufficiency_gap"]
    children_per_carer: float = Field(gt=0, le=6)
    ifa_minus_in_house_gbp_per_week: float = Field(ge=0)
    cost_gbp_per_carer: float = Field(default=0.0, ge=0)


class UnitCostLever(_Lever):
    """A change to the weekly unit cost of one placement category, in the scenario only."""

    kind: Literal["unit_cost"]
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    change_percent: float = Field(ge=-100, le=500)


class WorkforceLever(_Lever):
    """Recruitment and retention of children's social workers: a lower agency share and/or
    lower turnover. Agency FTE converted to employed FTE saves the agency premium
    (``workforce.agency_premium``, a parameter the scenario may override, grown by the GDP
    deflator from its price year); each leaver avoided saves ``cost_gbp_per_leaver``
    (recruitment and induction: the user's stated assumption, 0 unless given). Targets are
    percentages of FTE, or "england" for England's rate at the latest 30 September count;
    the baseline is the council's own published workforce then. Council-level model only."""

    kind: Literal["workforce"]
    agency_rate_percent: float | Literal["england"] | None = None
    turnover_rate_percent: float | Literal["england"] | None = None
    cost_gbp_per_leaver: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _targets(self) -> WorkforceLever:
        if self.agency_rate_percent is None and self.turnover_rate_percent is None:
            raise ValueError("give agency_rate_percent and/or turnover_rate_percent")
        for value in (self.agency_rate_percent, self.turnover_rate_percent):
            if isinstance(value, float) and not 0 <= value <= 100:
                raise ValueError("target rates are percentages from 0 to 100")
        return self


Lever = Annotated[
    EntriesLever | ExitsLever | PlacementMoveLever | FosterCarersLever | UnitCostLever
    | WorkforceLever,
    Field(discriminator="kind"),
]


class Investment(_Strict):
    """What the change costs: a sum a year, or a cost per family times families reached."""

    name: str | None = None
    start: dt.date
    end: dt.date | None = None
    gbp_per_year: float | None = Field(default=None, ge=0)
    gbp_per_family: float | None = Field(default=None, ge=0)
    families_per_year: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> Investment:
        per_family = self.gbp_per_family is not None or self.families_per_year is not None
        if (self.gbp_per_year is None) == (not per_family):
            raise ValueError("give gbp_per_year, or gbp_per_family with families_per_year")
        if per_family and (self.gbp_per_family is None or self.families_per_year is None):
            raise ValueError("gbp_per_family needs families_per_year (and the reverse)")
        return self

    @property
    def annual_gbp(self) -> float:
        if self.gbp_per_year is not None:
            return self.gbp_per_year
        return float(self.gbp_per_family) * float(self.families_per_year)  # type: ignore[arg-type]


def _merge_named(first: list[Any], second: list[Any]) -> list[Any]:
    """Concatenate; an item of ``second`` replaces an item of ``first`` with the same name."""
    names = {item.name for item in second if item.name}
    return [item for item in first if not item.name or item.name not in names] + list(second)


class Scenario(_Strict):
    """A named delta on the baseline; see the module docstring."""

    name: str = Field(min_length=1)
    description: str = ""
    sources: list[Source] = []
    levers: list[Lever] = []
    investment: list[Investment] = []
    parameter_changes: dict[str, dict[dt.date, Any]] = {}

    @model_validator(mode="before")
    @classmethod
    def _retired(cls, data: Any) -> Any:
        if isinstance(data, dict) and "inflation_percent" in data:
            raise ValueError("inflation_percent is retired: unit cost growth is the parameter "
                             "costs.inflation; give parameter_changes: {costs.inflation: "
                             "{2025-04-01: 0.03}} (a rate for every unit cost) or choose "
                             "costs.inflation_assumption: low, central or high")
        return data

    @field_validator("parameter_changes")
    @classmethod
    def _known_parameters(cls, value: dict[str, dict[dt.date, Any]]) -> dict[str, Any]:
        for name, dated in value.items():
            try:
                with params.overridden({name: dated}):
                    pass
            except (KeyError, ValueError) as exc:
                raise ValueError(str(exc.args[0] if exc.args else exc)) from exc
        return value

    def __add__(self, other: Scenario) -> Scenario:
        changes = {k: dict(v) for k, v in self.parameter_changes.items()}
        for key, dated in other.parameter_changes.items():
            changes.setdefault(key, {}).update(dated)
        return Scenario(
            name=f"{self.name} + {other.name}",
            description="; ".join(d for d in (self.description, other.description) if d),
            sources=[*self.sources, *(s for s in other.sources if s not in self.sources)],
            levers=_merge_named(self.levers, other.levers),
            investment=_merge_named(self.investment, other.investment),
            parameter_changes=changes,
        )

    def starts(self) -> list[dt.date]:
        """Start dates of every lever and investment (the appraisal begins at the first)."""
        return [lever.start for lever in self.levers] + [i.start for i in self.investment]

    def to_yaml(self) -> str:
        data = self.model_dump(mode="json", exclude_defaults=True)
        data["levers"] = [lever.model_dump(mode="json", exclude_defaults=True)
                          | {"kind": lever.kind} for lever in self.levers]
        if not data["levers"]:
            data.pop("levers")
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_yaml(), encoding="utf-8")
        return path


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (or its deepest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == str(key)]
            if not match:
                return line
            keys = [k for k, v in node.value if k.value == str(key)]
            line, node = keys[0].start_mark.line + 1, match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


class _TextDates(yaml.SafeLoader):
    """A safe loader that leaves dates as text, so a bad one (2026-13-45) is reported by the
    schema with its key and line instead of failing inside the YAML parser."""


_TextDates.add_constructor("tag:yaml.org,2002:timestamp",
                           lambda loader, node: loader.construct_scalar(node))


def parse(text: str, *, file: str | Path = "<scenario>") -> Scenario:
    """A Scenario from YAML text; any problem raises InputError naming file, line and key."""
    try:
        node = yaml.compose(text, Loader=_TextDates)
        data = yaml.load(text, Loader=_TextDates)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=file,
                         row=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise InputError("a scenario file is a mapping with at least 'name'", file=file, row=1)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p in
                                                   {"entries", "exits", "placement_move",
                                                    "foster_carers", "unit_cost",
                                                    "workforce"}))
        key = ".".join(str(p) for p in loc) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        raise InputError(f"{message} (key '{key}')", file=file, row=_line_of(node, loc),
                         column=str(loc[-1]) if loc else None) from None


PRESETS = Path(__file__).parent / "presets"


def preset_names() -> list[str]:
    """The documented preset scenarios shipped with carecast."""
    return sorted(p.stem for p in PRESETS.glob("*.yaml"))


def load(path: str | Path) -> Scenario:
    """Read a scenario file (a path, or a preset name such as ``avoidable_entries``)."""
    path = Path(path)
    if not path.exists():
        if str(path) not in preset_names():
            raise InputError(f"no such scenario file or preset (presets: "
                             f"{', '.join(preset_names())})", file=path)
        path = PRESETS / f"{path}.yaml"
    return parse(path.read_text(encoding="utf-8"), file=path)
