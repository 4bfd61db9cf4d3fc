"""Dated, referenced parameters read from YAML files under ``carecast/parameters``.

Every default the product uses (unit costs, age bands, code mappings, model weights) is a
file whose path is its name: ``parameters/costs/unit_costs.yaml`` is ``costs.unit_costs``.
A file holds a one-sentence ``description``, ``values`` keyed by the date each value took
effect (each with its own ``reference`` list of ``{title, href}``), and ``metadata`` with at
least ``label`` and ``unit``. The loader refuses duplicate keys, unknown keys, undated or
unreferenced values, and names the file, line and key when it does.

Overrides (a scenario's ``parameter_changes``, a user's ``--set``) go through one view:
inside ``with params.overridden(changes) as view:`` every :func:`get` and :func:`value`
call, in any layer, sees the changed values, and ``view.unused()`` names the overrides that
nothing read, so a run can refuse an override that would silently change nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

TOP_KEYS = {"description", "values", "metadata"}
VALUE_KEYS = {"value", "reference", "note"}
REQUIRED_METADATA = {"label", "unit"}


class ParameterError(ValueError):
    """A parameter file breaks the format; the message names file, line and key."""


@dataclass(frozen=True)
class Reference:
    title: str
    href: str


@dataclass(frozen=True)
class DatedValue:
    start: dt.date
    value: Any
    references: tuple[Reference, ...]
    note: str | None = None


@dataclass(frozen=True)
class Parameter:
    """One parameter: its dated values, newest last, and metadata (label, unit, period...)."""

    name: str
    description: str
    values: tuple[DatedValue, ...]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(self.metadata["label"])

    @property
    def unit(self) -> str:
        return str(self.metadata["unit"])

    def unit_of(self, key: str) -> str:
        """The unit of one number in a mapping (``metadata.units``), else the unit."""
        return str((self.metadata.get("units") or {}).get(key, self.unit))

    def entry_at(self, when: dt.date | str | None = None) -> DatedValue:
        """The value in force on ``when`` (default: the latest)."""
        if when is None:
            return self.values[-1]
        day = dt.date.fromisoformat(when) if isinstance(when, str) else when
        in_force = [v for v in self.values if v.start <= day]
        if not in_force:
            raise KeyError(f"{self.name} has no value in force on {day.isoformat()}")
        return in_force[-1]

    def at(self, when: dt.date | str | None = None) -> Any:
        return self.entry_at(when).value

    def source(self, when: dt.date | str | None = None) -> str:
        """A one-line citation of the value in force, for outputs."""
        refs = self.entry_at(when).references
        return "; ".join(f"{r.title} <{r.href}>" for r in refs)


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


class _UniqueKeyLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe loader that refuses duplicate mapping keys and keeps dates as text."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if key in mapping:
            line = key_node.start_mark.line + 1
            raise ParameterError(f"{loader.name}: line {line}: duplicate key {key!r}")
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay strings so the loader can report a bad one with its key.
_UniqueKeyLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(f"{key}:") or line.lstrip().startswith(f"'{key}':"):
            return number
    return 1


def parse_parameter(text: str, name: str, source: str) -> Parameter:
    """Parse one parameter file's text; ``source`` names the file in error messages."""
    loader = _UniqueKeyLoader(text)
    loader.name = source
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise ParameterError(f"{source}: not valid YAML: {exc}") from exc
    finally:
        loader.dispose()

    def fail(key: str, message: str) -> ParameterError:
        return ParameterError(f"{source}: line {_line_of(text, key)}: {key}: {message}")

    if not isinstance(data, dict):
        raise ParameterError(f"{source}: line 1: expected a mapping with {sorted(TOP_KEYS)}")
    for key in data:
        if key not in TOP_KEYS:
            raise fail(str(key), f"unexpected key (allowed: {', '.join(sorted(TOP_KEYS))})")
    for key in TOP_KEYS:
        if key not in data:
            raise ParameterError(f"{source}: line 1: missing key {key!r}")
    description = data["description"]
    if not isinstance(description, str) or not description.strip().endswith("."):
        raise fail("description", "must be one sentence ending with a full stop")
    metadata = data["metadata"] or {}
    missing = REQUIRED_METADATA - set(metadata)
    if missing:
        raise fail("metadata", f"missing {', '.join(sorted(missing))}")
    if not isinstance(data["values"], dict) or not data["values"]:
        raise fail("values", "must map effective dates to values")
    values = []
    for raw_date, entry in data["values"].items():
        key = str(raw_date)
        try:
            start = dt.date.fromisoformat(key)
        except ValueError:
            raise fail(key, "is not a date (YYYY-MM-DD)") from None
        if not isinstance(entry, dict) or "value" not in entry:
            raise fail(key, "must hold 'value' and 'reference'")
        for sub in entry:
            if sub not in VALUE_KEYS:
                raise fail(str(sub), f"unexpected key under {key}")
        refs = entry.get("reference") or []
        if not refs or not all(isinstance(r, dict) and r.get("title") for r in refs):
            raise fail(key, "every value needs a reference list of {title, href}")
        values.append(
            DatedValue(
                start=start,
                value=entry["value"],
                references=tuple(Reference(str(r["title"]), str(r.get("href", ""))) for r in refs),
                note=entry.get("note"),
            )
        )
    _check_units(values, metadata, fail)
    values.sort(key=lambda v: v.start)
    return Parameter(name, description.strip(), tuple(values), dict(metadata))


def _check_units(values: list[DatedValue], metadata: dict[str, Any], fail: Any) -> None:
    """A mapping of settings names a unit for each of its numbers (``metadata.units``), so
    a bag of settings never hides what its values are measured in."""
    if metadata.get("unit") != "mapping":
        return
    units = metadata.get("units") or {}
    if not isinstance(units, dict):
        raise fail("units", "must map each numeric setting to its unit")
    keys: set[str] = set()
    for dated in values:
        if not isinstance(dated.value, dict):
            continue
        keys |= {str(k) for k in dated.value}
        missing = sorted(str(k) for k, v in dated.value.items()
                         if isinstance(v, int | float) and not isinstance(v, bool)
                         and str(k) not in units)
        if missing:
            raise fail("units", f"no unit for {', '.join(missing)} (value of "
                       f"{dated.start.isoformat()}); add them under metadata.units")
    stray = sorted(set(units) - keys)
    if stray:
        raise fail("units", f"units for settings no value has: {', '.join(stray)}")


def _root() -> Path:
    return Path(str(resources.files("carecast") / "parameters"))


def load_file(path: Path, root: Path | None = None) -> Parameter:
    root = root or _root()
    name = ".".join(path.relative_to(root).with_suffix("").parts)
    return parse_parameter(path.read_text(encoding="utf-8"), name, str(path))


@cache
def all_parameters() -> dict[str, Parameter]:
    """Every shipped parameter, by dotted name."""
    root = _root()
    return {p.name: p for p in (load_file(f, root) for f in sorted(root.rglob("*.yaml")))}


def _shipped(name: str) -> Parameter:
    params = all_parameters()
    if name not in params:
        raise KeyError(f"no parameter {name!r}; known: {', '.join(sorted(params))}")
    return params[name]


class UnusedOverride(ParameterError):
    """An override that nothing in the run read: it would have changed nothing."""


@dataclass
class View:
    """Overrides in force: parameter name -> [(key path, start date or None, value)]."""

    changes: dict[str, list[tuple[tuple[str, ...], dt.date | None, Any]]]
    label: str
    read: set[str] = field(default_factory=set)

    def unused(self) -> list[str]:
        """Overridden parameters that nothing read while the view was in force."""
        return sorted(set(self.changes) - self.read)

    def require_used(self) -> None:
        unused = self.unused()
        if unused:
            raise UnusedOverride(
                f"{self.label} overrides {', '.join(unused)}, which nothing in this run reads; "
                "remove the override or name a parameter the run uses"
            )


_view: ContextVar[View | None] = ContextVar("carecast_parameter_view", default=None)


def _split(name: str) -> tuple[str, tuple[str, ...]]:
    """'costs.unit_costs.fostering' -> ('costs.unit_costs', ('fostering',))."""
    known = all_parameters()
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        base = ".".join(parts[:cut])
        if base in known:
            return base, tuple(parts[cut:])
    raise KeyError(f"no parameter {name!r}; known: {', '.join(sorted(known))}")


def _with_key(value: Any, path: tuple[str, ...], new: Any, name: str) -> Any:
    if not path:
        return new
    if not isinstance(value, dict) or path[0] not in value:
        raise KeyError(f"parameter {name} has no key {'.'.join(path)!r}")
    out = copy.deepcopy(value)
    out[path[0]] = _with_key(value[path[0]], path[1:], new, name)
    return out


@contextmanager
def overridden(changes: Mapping[str, Any], label: str = "the override") -> Iterator[View]:
    """Every parameter read inside the block sees ``changes``.

    ``changes`` maps a parameter name, or a name plus keys into its mapping value
    (``costs.unit_costs.fostering``), to a value that replaces every dated value, or to a
    ``{date: value}`` mapping that adds or replaces values from those dates. Views nest; the
    inner one wins. Unknown names raise ``KeyError``.
    """
    outer = _view.get()
    merged = {k: list(v) for k, v in outer.changes.items()} if outer else {}
    for raw, new in changes.items():
        name, path = _split(str(raw))
        dated = new.items() if isinstance(new, Mapping) and new and all(
            isinstance(k, dt.date) for k in new) else [(None, new)]
        for start, v in dated:
            _with_key(_shipped(name).values[-1].value, path, v, name)  # check the key path
            merged.setdefault(name, []).append((path, start, v))
    view = View(merged, label)
    token = _view.set(view)
    try:
        yield view
    finally:
        _view.reset(token)
        if outer is not None:
            outer.read |= view.read & set(outer.changes)


def _apply(base: Parameter, changes: list[tuple[tuple[str, ...], dt.date | None, Any]],
           label: str) -> Parameter:
    values = list(base.values)
    ref = (Reference(f"override: {label}", ""),)
    for path, start, new in changes:
        if start is None:
            values = [replace(v, value=_with_key(v.value, path, new, base.name), references=ref)
                      for v in values]
            continue
        in_force = [v for v in values if v.start <= start] or values[:1]
        entry = DatedValue(start, _with_key(in_force[-1].value, path, new, base.name), ref)
        values = sorted([v for v in values if v.start != start] + [entry], key=lambda v: v.start)
    return replace(base, values=tuple(values))


def active_overrides() -> bool:
    """Whether an override view is in force here (derived results must not be cached)."""
    return _view.get() is not None


def get(name: str) -> Parameter:
    """The parameter called ``name`` (e.g. ``costs.unit_costs``), with any override in force."""
    base = _shipped(name)
    view = _view.get()
    if view is None or name not in view.changes:
        return base
    view.read.add(name)
    return _apply(base, view.changes[name], view.label)


def value(name: str, when: dt.date | str | None = None) -> Any:
    """Shorthand for ``get(name).at(when)``."""
    return get(name).at(when)
