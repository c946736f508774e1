"""Trial tables as data: ``data/trials_<topic>.toml`` -> comparisons -> effect sizes.

A trial table holds one ``[[comparisons]]`` entry per arm comparison (a ketamine arm against one
control arm of one trial) with its design, population, arms, doses as the source states them
(salt or base), and a list of ``[[comparisons.outcomes]]``: one row per outcome and time point,
each with its own ``source`` and evidence ``flag``. An outcome row is one of three kinds:

``means``
    group means with SDs (``sd_treatment``/``sd_control``) or standard errors
    (``se_treatment``/``se_control``): gives Hedges g and the mean difference;
``counts``
    events and patients per arm (responders, remitters, relapses): gives OR, RR, RD and NNT;
``reported``
    an effect the paper reports directly with its 95% CI (``measure`` = ``"md"``, ``"g"``,
    ``"or"``, ``"rr"``, ``"rd"`` or ``"hr"``, with ``estimate``, ``lower``, ``upper``).

The same loader serves every clinical chapter: pain, PTSD or safety tables use the same schema.
Crossover trials are analysed as if parallel (their within-patient correlation is not published),
which overstates their SE: conservative, and said in each comparison's ``note``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..data import FLAGS, load_table, table_names
from ..validation import check_choice
from .effect_sizes import (EffectSize, binary_effect, effect_from_ci, hedges_g, nnt, sd_from_se)

__all__ = ["Outcome", "Comparison", "load_trials", "trial_tables", "outcome_effect", "select", "available",
           "KINDS", "DESIGNS", "OUTCOME_MEASURES", "parse_trials"]

KINDS = ("means", "counts", "reported")
DESIGNS = ("parallel", "crossover")
OUTCOME_MEASURES = {"means": ("g", "md"), "counts": ("or", "rr", "rd")}

_COMPARISON_FIELDS = ("id", "trial", "source", "flag", "design", "blinding", "comparator", "population",
                      "treatment", "control")


@dataclass(frozen=True)
class Outcome:
    """One outcome at one time point of one comparison (see the module docstring for kinds)."""

    name: str
    time: str
    time_days: float
    kind: str
    source: str
    flag: str
    scale: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def measures(self) -> tuple[str, ...]:
        """Effect measures this row can give."""
        if self.kind == "reported":
            return (self.values["measure"],)
        return OUTCOME_MEASURES[self.kind]


@dataclass(frozen=True)
class Comparison:
    """One arm comparison of one trial, with its design and outcome rows."""

    id: str
    trial: str
    source: str
    flag: str
    design: str
    blinding: str
    comparator: str
    population: str
    treatment: str
    control: str
    n_treatment: int | None
    n_control: int | None
    outcomes: tuple[Outcome, ...]
    doi: str = ""
    pmid: str = ""
    dose_form: str = ""
    drug: str = ""
    note: str = ""

    def outcome(self, name: str, time: str) -> Outcome | None:
        for o in self.outcomes:
            if o.name == name and o.time == time:
                return o
        return None


def trial_tables() -> list[str]:
    """Names of the trial tables shipped with the package (``trials_*``)."""
    return [n for n in table_names() if n.startswith("trials_")]


def _need(entry: dict, key: str, where: str) -> Any:
    if key not in entry:
        raise ValueError(f"{where}: field {key!r} is required")
    return entry[key]


def _parse_outcome(raw: dict, where: str, n_t: int | None, n_c: int | None) -> Outcome:
    kind = check_choice(f"{where}.kind", _need(raw, "kind", where), KINDS)
    flag = check_choice(f"{where}.flag", _need(raw, "flag", where), list(FLAGS))
    skip = {"name", "time", "time_days", "kind", "source", "flag", "scale", "note"}
    values = {k: v for k, v in raw.items() if k not in skip}
    if kind == "means":
        values.setdefault("n_treatment", n_t)
        values.setdefault("n_control", n_c)
        for key in ("mean_treatment", "mean_control", "n_treatment", "n_control"):
            if values.get(key) is None:
                raise ValueError(f"{where}: field {key!r} is required for kind 'means'")
        for arm in ("treatment", "control"):
            if f"sd_{arm}" not in values and f"se_{arm}" not in values:
                raise ValueError(f"{where}: kind 'means' needs sd_{arm} or se_{arm}")
    elif kind == "counts":
        values.setdefault("n_treatment", n_t)
        values.setdefault("n_control", n_c)
        for key in ("events_treatment", "n_treatment", "events_control", "n_control"):
            if values.get(key) is None:
                raise ValueError(f"{where}: field {key!r} is required for kind 'counts'")
    else:
        check_choice(f"{where}.measure", _need(raw, "measure", where), ("md", "g", "or", "rr", "rd", "hr"))
        for key in ("estimate", "lower", "upper"):
            _need(raw, key, where)
    time_days = float(_need(raw, "time_days", where))
    return Outcome(str(_need(raw, "name", where)), str(_need(raw, "time", where)), time_days, kind,
                   str(_need(raw, "source", where)), flag, str(raw.get("scale", "")), values, str(raw.get("note", "")))


def load_trials(name: str) -> list[Comparison]:
    """Load and check a trial table (for example ``"trials_depression"``).

    Raises
    ------
    ValueError
        If ``name`` is not a trial table, or an entry misses a required field or has a bad
        design, kind or flag (the message names the entry and the field).
    """
    check_choice("name", name, trial_tables())
    return parse_trials(load_table(name), name)


def parse_trials(table: dict, name: str = "table") -> list[Comparison]:
    """Check a trial table already read into a dict (see :func:`load_trials`); ``name`` is used in
    error messages."""
    out = []
    for i, raw in enumerate(table.get("comparisons", [])):
        where = f"{name}.comparisons[{i}]"
        for key in _COMPARISON_FIELDS:
            _need(raw, key, where)
        where = f"{name}.{raw['id']}"
        check_choice(f"{where}.design", raw["design"], DESIGNS)
        check_choice(f"{where}.flag", raw["flag"], list(FLAGS))
        n_t, n_c = raw.get("n_treatment"), raw.get("n_control")
        outcomes = tuple(_parse_outcome(o, f"{where}.outcomes[{j}]", n_t, n_c)
                         for j, o in enumerate(raw.get("outcomes", [])))
        out.append(Comparison(
            id=raw["id"], trial=raw["trial"], source=raw["source"], flag=raw["flag"], design=raw["design"],
            blinding=raw["blinding"], comparator=raw["comparator"], population=raw["population"],
            treatment=raw["treatment"], control=raw["control"], n_treatment=n_t, n_control=n_c,
            outcomes=outcomes, doi=str(raw.get("doi", "")), pmid=str(raw.get("pmid", "")),
            dose_form=str(raw.get("dose_form", "")), drug=str(raw.get("drug", "")), note=str(raw.get("note", ""))))
    ids = [c.id for c in out]
    dupes = sorted({x for x in ids if ids.count(x) > 1})
    if dupes:
        raise ValueError(f"{name}: comparison ids must be unique; repeated: {dupes}")
    return out


def outcome_effect(comparison: Comparison, outcome: Outcome, measure: str) -> EffectSize:
    """The effect size ``measure`` for one outcome row of one comparison.

    Raises
    ------
    ValueError
        If the row cannot give that measure (e.g. an OR from means).
    """
    measure = check_choice("measure", measure, outcome.measures)
    v = outcome.values
    label = comparison.trial
    notes = [x for x in (outcome.note,) if x]
    if comparison.design == "crossover":
        notes.append("crossover analysed as parallel groups")
    note = "; ".join(notes)
    if outcome.kind == "means":
        n1, n2 = int(v["n_treatment"]), int(v["n_control"])
        sd1 = v["sd_treatment"] if "sd_treatment" in v else sd_from_se(v["se_treatment"], n1)
        sd2 = v["sd_control"] if "sd_control" in v else sd_from_se(v["se_control"], n2)
        if measure == "g":
            return hedges_g(v["mean_treatment"], sd1, n1, v["mean_control"], sd2, n2, label=label, note=note)
        diff = float(v["mean_treatment"]) - float(v["mean_control"])
        se = (sd1**2 / n1 + sd2**2 / n2) ** 0.5
        return EffectSize("md", diff, se, n1, n2, label, note)
    if outcome.kind == "counts":
        e = binary_effect(measure, v["events_treatment"], v["n_treatment"], v["events_control"], v["n_control"],
                          label=label)
        return EffectSize(e.measure, e.estimate, e.se, e.n1, e.n2, label, "; ".join(x for x in (e.note, note) if x))
    return effect_from_ci(measure, v["estimate"], v["lower"], v["upper"], n1=v.get("n_treatment",
                          comparison.n_treatment), n2=v.get("n_control", comparison.n_control), label=label, note=note)


def available(comparisons: Iterable[Comparison]) -> dict[str, list[str]]:
    """``{outcome name: [time labels, ordered by time]}`` over all comparisons."""
    seen: dict[str, dict[str, float]] = {}
    for c in comparisons:
        for o in c.outcomes:
            seen.setdefault(o.name, {})[o.time] = o.time_days
    return {name: sorted(times, key=times.get) for name, times in seen.items()}


def select(comparisons: Sequence[Comparison], outcome: str, time: str, measure: str, *,
           comparators: Iterable[str] | None = None, designs: Iterable[str] | None = None,
           exclude: Iterable[str] = ()) -> list[tuple[Comparison, EffectSize]]:
    """Comparisons that report ``outcome`` at ``time`` in a form that gives ``measure``.

    Parameters
    ----------
    comparisons : sequence of Comparison
    outcome, time : str
        An outcome name and time label (see :func:`available`).
    measure : str
        ``"g"``, ``"md"``, ``"or"``, ``"rr"``, ``"rd"`` or ``"hr"``.
    comparators, designs : iterable of str, optional
        Keep only these comparators (e.g. ``{"midazolam"}``) or designs (``{"parallel"}``).
    exclude : iterable of str
        Comparison ids to leave out.

    Returns
    -------
    list of (Comparison, EffectSize)
        In table order. May be empty: pooling an empty list raises in
        :func:`~ketacourse.evidence.meta.meta_analyse`.
    """
    comparators = None if comparators is None else set(comparators)
    designs = None if designs is None else set(designs)
    exclude = set(exclude)
    out = []
    for c in comparisons:
        if c.id in exclude or (comparators is not None and c.comparator not in comparators):
            continue
        if designs is not None and c.design not in designs:
            continue
        o = c.outcome(outcome, time)
        if o is None or measure not in o.measures:
            continue
        out.append((c, outcome_effect(c, o, measure)))
    return out


def comparison_nnt(comparison: Comparison, outcome: Outcome) -> dict:
    """NNT with Newcombe's interval for a ``counts`` row (see :func:`~.effect_sizes.nnt`)."""
    if outcome.kind != "counts":
        raise ValueError(f"outcome must be a 'counts' row to give an NNT; got kind {outcome.kind!r}")
    v = outcome.values
    return nnt(v["events_treatment"], v["n_treatment"], v["events_control"], v["n_control"])


__all__ += ["comparison_nnt"]
