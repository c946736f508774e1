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

Optional fields that the pooling checks read (:mod:`.pooling`):

``control_group`` (comparison)
    a name shared by arm comparisons of one trial that use the *same* control arm (two doses of
    one trial against one placebo arm). :func:`select` splits that arm's patients between those
    comparisons by default, so that no patient is counted twice (the Cochrane Handbook, chapter 23,
    prefers combining the doses into one arm; splitting the shared arm is the accepted alternative).
``trial_id`` (comparison)
    the trial a row belongs to when one trial gives several rows (strata, doses); defaults to
    the comparison ``id``. Pooling reports how many *trials* it holds, not only rows.
``score`` (outcome, continuous rows)
    ``"change"`` (change from baseline, or a baseline-adjusted change) or ``"final"`` (a score at
    follow-up): pooling the two as standardised differences is flagged.
``analysis`` (outcome)
    which patients the row counts: ``"observed case"`` (patients assessed at that time),
    ``"all randomised"`` (every randomised or treated patient, missing counted as failure),
    ``"LOCF"``, ``"MMRM"`` (model-based, all randomised) or ``"not stated"``. Counts rows may also
    give ``n_treatment_randomised``/``n_control_randomised`` so that :func:`nonresponder_imputation`
    can recount observed-case responders over all randomised patients.

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
from .effect_sizes import (EffectSize, binary_effect, effect_from_ci, hedges_g, nnt, risk_difference,
                           sd_from_se)

__all__ = ["Outcome", "Comparison", "load_trials", "trial_tables", "outcome_effect", "select", "available",
           "KINDS", "DESIGNS", "OUTCOME_MEASURES", "parse_trials", "SCORES", "ANALYSES", "SHARED_CONTROL",
           "nonresponder_imputation"]

KINDS = ("means", "counts", "reported")
SCORES = ("change", "final")
ANALYSES = ("observed case", "all randomised", "LOCF", "MMRM", "not stated")
SHARED_CONTROL = ("split", "keep")
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
    score: str = ""
    analysis: str = ""

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
    control_group: str = ""
    trial_id: str = ""

    @property
    def trial_key(self) -> str:
        """The trial this row belongs to (``trial_id``, or the comparison ``id``)."""
        return self.trial_id or self.id

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
    skip = {"name", "time", "time_days", "kind", "source", "flag", "scale", "note", "score", "analysis"}
    score = str(raw.get("score", ""))
    if score:
        check_choice(f"{where}.score", score, SCORES)
    analysis = str(raw.get("analysis", ""))
    if analysis:
        check_choice(f"{where}.analysis", analysis, ANALYSES)
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
                   str(_need(raw, "source", where)), flag, str(raw.get("scale", "")), values, str(raw.get("note", "")),
                   score, analysis)


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
            dose_form=str(raw.get("dose_form", "")), drug=str(raw.get("drug", "")), note=str(raw.get("note", "")),
            control_group=str(raw.get("control_group", "")), trial_id=str(raw.get("trial_id", ""))))
    ids = [c.id for c in out]
    dupes = sorted({x for x in ids if ids.count(x) > 1})
    if dupes:
        raise ValueError(f"{name}: comparison ids must be unique; repeated: {dupes}")
    return out


def _share(total: int, index: int, parts: int) -> int:
    """Part ``index`` (0-based) of ``total`` divided as evenly as possible into ``parts`` whole parts."""
    return total // parts + (1 if index < total % parts else 0)


def outcome_effect(comparison: Comparison, outcome: Outcome, measure: str, *, control_share: tuple[int, int] = (0, 1)
                   ) -> EffectSize:
    """The effect size ``measure`` for one outcome row of one comparison.

    Parameters
    ----------
    comparison, outcome : Comparison, Outcome
    measure : str
        One of the row's :attr:`Outcome.measures`.
    control_share : (int, int)
        ``(index, parts)``: use only part ``index`` of the control arm when ``parts`` comparisons
        share it (Cochrane Handbook, chapter 23). Counts rows split the control events and patients,
        means rows split the patients (means and SDs unchanged); reported rows keep their estimate
        and inflate its SE by the factor the smaller control arm implies (from the arm rates for a
        risk difference when the row gives ``rate_treatment``/``rate_control``, otherwise assuming
        equal variances in the two arms). ``(0, 1)`` (the default) uses the whole arm.

    Raises
    ------
    ValueError
        If the row cannot give that measure (e.g. an OR from means), or a reported row without arm
        sizes is asked to split its control arm.
    """
    measure = check_choice("measure", measure, outcome.measures)
    index, parts = control_share
    if not (isinstance(parts, int) and parts >= 1 and isinstance(index, int) and 0 <= index < parts):
        raise ValueError(f"control_share must be (index, parts) with 0 <= index < parts and parts >= 1; "
                         f"got {control_share!r}")
    v = outcome.values
    label = comparison.trial
    notes = [x for x in (outcome.note,) if x]
    if comparison.design == "crossover":
        notes.append("crossover analysed as parallel groups")
    if parts > 1:
        notes.append(f"shared control arm split {parts} ways")
    note = "; ".join(notes)
    if outcome.kind == "means":
        n1, n2 = int(v["n_treatment"]), _share(int(v["n_control"]), index, parts)
        sd1 = v["sd_treatment"] if "sd_treatment" in v else sd_from_se(v["se_treatment"], n1)
        sd2 = v["sd_control"] if "sd_control" in v else sd_from_se(v["se_control"], int(v["n_control"]))
        if measure == "g":
            return hedges_g(v["mean_treatment"], sd1, n1, v["mean_control"], sd2, n2, label=label, note=note)
        diff = float(v["mean_treatment"]) - float(v["mean_control"])
        se = (sd1**2 / n1 + sd2**2 / n2) ** 0.5
        return EffectSize("md", diff, se, n1, n2, label, note)
    if outcome.kind == "counts":
        ec, nc = _share(int(v["events_control"]), index, parts), _share(int(v["n_control"]), index, parts)
        e = binary_effect(measure, v["events_treatment"], v["n_treatment"], ec, nc, label=label)
        return EffectSize(e.measure, e.estimate, e.se, e.n1, e.n2, label, "; ".join(x for x in (e.note, note) if x))
    n1 = v.get("n_treatment", comparison.n_treatment)
    n2 = v.get("n_control", comparison.n_control)
    eff = effect_from_ci(measure, v["estimate"], v["lower"], v["upper"], n1=n1, n2=n2, label=label, note=note)
    if parts == 1:
        return eff
    if n1 is None or n2 is None:
        raise ValueError(f"{comparison.id}: a reported row needs n_treatment and n_control to split a shared "
                         "control arm")
    n2_part = _share(int(n2), index, parts)
    if measure == "rd" and "rate_treatment" in v and "rate_control" in v:
        p1, p2 = float(v["rate_treatment"]), float(v["rate_control"])
        whole = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        split = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2_part
    else:
        whole, split = 1 / n1 + 1 / n2, 1 / n1 + 1 / n2_part
    return EffectSize(eff.measure, eff.estimate, eff.se * (split / whole) ** 0.5, n1, n2_part, label, note)


def available(comparisons: Iterable[Comparison]) -> dict[str, list[str]]:
    """``{outcome name: [time labels, ordered by time]}`` over all comparisons."""
    seen: dict[str, dict[str, float]] = {}
    for c in comparisons:
        for o in c.outcomes:
            seen.setdefault(o.name, {})[o.time] = o.time_days
    return {name: sorted(times, key=times.get) for name, times in seen.items()}


def select(comparisons: Sequence[Comparison], outcome: str, time: str, measure: str, *,
           comparators: Iterable[str] | None = None, designs: Iterable[str] | None = None,
           exclude: Iterable[str] = (), shared_control: str = "split") -> list[tuple[Comparison, EffectSize]]:
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
    shared_control : {"split", "keep"}
        ``"split"`` (the default): when several *selected* comparisons share one control arm
        (the same ``control_group``), each gets an equal part of it, so its patients are counted
        once; ``"keep"`` gives every comparison the whole arm, which counts it several times
        (shown in Chapter 3 as the mistake to avoid).

    Returns
    -------
    list of (Comparison, EffectSize)
        In table order. May be empty: pooling an empty list raises in
        :func:`~ketacourse.evidence.meta.meta_analyse`.
    """
    shared_control = check_choice("shared_control", shared_control, SHARED_CONTROL)
    comparators = None if comparators is None else set(comparators)
    designs = None if designs is None else set(designs)
    exclude = set(exclude)
    kept = []
    for c in comparisons:
        if c.id in exclude or (comparators is not None and c.comparator not in comparators):
            continue
        if designs is not None and c.design not in designs:
            continue
        o = c.outcome(outcome, time)
        if o is None or measure not in o.measures:
            continue
        kept.append((c, o))
    groups: dict[str, list[str]] = {}
    for c, _o in kept:
        if c.control_group:
            groups.setdefault(c.control_group, []).append(c.id)
    out = []
    for c, o in kept:
        members = groups.get(c.control_group, [c.id]) if c.control_group else [c.id]
        share = (members.index(c.id), len(members)) if shared_control == "split" else (0, 1)
        out.append((c, outcome_effect(c, o, measure, control_share=share)))
    return out


def comparison_nnt(comparison: Comparison, outcome: Outcome) -> dict:
    """NNT with Newcombe's interval for a ``counts`` row (see :func:`~.effect_sizes.nnt`)."""
    if outcome.kind != "counts":
        raise ValueError(f"outcome must be a 'counts' row to give an NNT; got kind {outcome.kind!r}")
    v = outcome.values
    return nnt(v["events_treatment"], v["n_treatment"], v["events_control"], v["n_control"])


__all__ += ["comparison_nnt"]


def nonresponder_imputation(comparison: Comparison, outcome: Outcome) -> dict:
    """An intention-to-treat sensitivity analysis for an observed-case counts row.

    Observed-case response rates divide responders by the patients *assessed* at that time;
    counting every randomised (or treated) patient who was not assessed as a non-responder
    gives a conservative all-randomised rate. Needs ``n_treatment_randomised`` and
    ``n_control_randomised`` in the row.

    Returns
    -------
    dict
        ``observed`` and ``all_randomised``: each a risk-difference :class:`EffectSize`, and
        ``nnt_observed``/``nnt_all_randomised`` from :func:`~.effect_sizes.nnt`.

    Raises
    ------
    ValueError
        If the row is not a counts row or lacks the randomised numbers.
    """
    if outcome.kind != "counts":
        raise ValueError(f"outcome must be a 'counts' row; got kind {outcome.kind!r}")
    v = outcome.values
    for key in ("n_treatment_randomised", "n_control_randomised"):
        if key not in v:
            raise ValueError(f"{comparison.id}: field {key!r} is required for non-responder imputation")
    a, n1, c, n2 = v["events_treatment"], v["n_treatment"], v["events_control"], v["n_control"]
    r1, r2 = v["n_treatment_randomised"], v["n_control_randomised"]
    if r1 < n1 or r2 < n2:
        raise ValueError(f"{comparison.id}: randomised numbers ({r1}, {r2}) must be at least the observed ({n1}, {n2})")
    return {"observed": risk_difference(a, n1, c, n2, label=comparison.trial),
            "all_randomised": risk_difference(a, r1, c, r2, label=comparison.trial),
            "nnt_observed": nnt(a, n1, c, n2), "nnt_all_randomised": nnt(a, r1, c, r2)}
