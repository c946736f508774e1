"""An evidence map: where each claim for a new indication or molecule stands (Chapter 7).

Every entry of a trial table (``data/trials_future.toml``: its ``[[comparisons]]`` and its
``[[other_evidence]]``) becomes one :class:`Entry`, placed by **indication** and by an
**evidence-strength score** computed from four declared criteria, each worth a fixed number of
points (the tables below are the whole rule; nothing is judged by hand):

==============  ====================================================================  ======
criterion       levels (points)                                                         max
==============  ====================================================================  ======
design          randomised parallel 3; randomised crossover 2; randomised open 2;        3
                open-label single arm 1; case series, registered without results,
                animal 0
size            patients randomised in the TRIAL (not in one arm comparison: two doses    3
                against one placebo arm count the shared arm once): >= 200 → 3;
                >= 100 → 2; >= 40 → 1; fewer → 0; a registered trial without
                results → 0
blinding        double blind against an *active* placebo (midazolam) 2; against an       2
                inert placebo 1 (ketamine's dissociation unblinds many patients);
                a dose comparison whose arms any patient can tell apart (a
                psychedelic against a sub-psychedelic dose: "dose-contrast") 0,
                however it is labelled; open 0
replication     other *randomised* trials (distinct sources) of the same molecule for       2
                the same indication with the same result: >= 2 → 2; 1 → 1; none → 0
==============  ====================================================================  ======

The score (0–10) grades how much the design can be trusted, not how large the effect is: the
effect is shown separately, as a standardised mean difference where the table allows one
(Hedges g from means or a published d; an odds ratio converted with Chinn's d = ln(OR)·√3/π),
signed so that **positive favours the drug**. A result is read from the 95% CI of the primary row
where there is one ("benefit" if it excludes no effect in the drug's favour, "harm" the other way,
"null" otherwise), and from the authors' stated conclusion (``result``) where the source gives
no numbers. The scoring is a teaching device in the spirit of evidence-grading schemes, not a
validated instrument.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ..data import FLAGS, load_table
from ..validation import check_choice, check_real
from .effect_sizes import log_or_to_d
from .trials import Comparison, outcome_effect, parse_trials

__all__ = ["DESIGN_POINTS", "BLINDING_POINTS", "SIZE_STEPS", "REPLICATION_STEPS", "RESULTS", "KINDS",
           "MAX_SCORE", "Entry", "Score", "design_points", "size_points", "blinding_points",
           "replication_points", "load_map", "score", "scores", "hypothetical_entry", "place", "filter_entries",
           "indications", "drugs", "outcomes"]

DESIGN_POINTS: dict[str, int] = {
    "rct-parallel": 3, "rct-crossover": 2, "randomised-open": 2, "open-label": 1,
    "case-series": 0, "registered-no-results": 0, "animal": 0,
}
"""Points for the study design (``kind`` of an entry)."""
KINDS = tuple(DESIGN_POINTS)
BLINDING_POINTS: dict[str, int] = {"active": 2, "inert": 1, "dose-contrast": 0, "open": 0}
"""Points for blinding: active placebo, inert placebo, a dose comparison whose arms patients can tell apart
(called double blind, but no credit), none."""
SIZE_STEPS: tuple[tuple[int, int], ...] = ((200, 3), (100, 2), (40, 1))
"""(minimum patients, points), first match wins; fewer than the last threshold gives 0."""
REPLICATION_STEPS: tuple[tuple[int, int], ...] = ((2, 2), (1, 1))
"""(minimum agreeing randomised entries, points)."""
RESULTS = ("benefit", "null", "harm", "pending")
MAX_SCORE = max(DESIGN_POINTS.values()) + SIZE_STEPS[0][1] + max(BLINDING_POINTS.values()) + REPLICATION_STEPS[0][1]
RANDOMISED = {"rct-parallel", "rct-crossover", "randomised-open"}
_MEASURE_NAMES = {"g": "g", "md": "MD", "or": "OR", "rr": "RR", "rd": "RD", "hr": "HR"}


@dataclass(frozen=True)
class Entry:
    """One piece of evidence on the map.

    ``n_total`` is the number of patients randomised (or treated) in the whole *trial*, the number
    the size criterion scores; ``n_compared`` is the number in the two arms this entry compares
    (smaller than ``n_total`` when one trial gives several entries, e.g. two doses against one
    shared placebo arm). ``effect_d`` and ``ci_d`` are a standardised mean difference (positive
    favours the drug) where one can be computed, else ``None``; ``effect_text`` states the effect as
    published.
    """

    id: str
    label: str
    indication: str
    drug: str
    kind: str
    blinding: str
    n_total: int
    result: str
    outcome: str = ""
    effect_d: float | None = None
    ci_d: tuple[float, float] | None = None
    effect_text: str = ""
    source: str = ""
    flag: str = ""
    note: str = ""
    hypothetical: bool = False
    n_compared: int | None = None

    @property
    def randomised(self) -> bool:
        return self.kind in RANDOMISED


@dataclass(frozen=True)
class Score:
    """The four criterion scores of one entry; :attr:`total` is their sum (0 to :data:`MAX_SCORE`)."""

    design: int
    size: int
    blinding: int
    replication: int

    @property
    def total(self) -> int:
        return self.design + self.size + self.blinding + self.replication


# ------------------------------------------------------------------------- criterion scores
def design_points(kind: str) -> int:
    """Points for a study design, one of :data:`KINDS`."""
    return DESIGN_POINTS[check_choice("kind", kind, KINDS)]


def size_points(n_total: int) -> int:
    """Points for the number of patients (an integer >= 0)."""
    if isinstance(n_total, bool) or not isinstance(n_total, (int, float)) or n_total != int(n_total):
        raise ValueError(f"n_total must be a whole number of patients >= 0; got {n_total!r}")
    n = int(check_real("n_total", n_total, low=0, unit="patients"))
    return next((pts for threshold, pts in SIZE_STEPS if n >= threshold), 0)


def blinding_points(blinding: str) -> int:
    """Points for blinding: ``"active"``, ``"inert"`` or ``"open"``."""
    return BLINDING_POINTS[check_choice("blinding", blinding, list(BLINDING_POINTS))]


def replication_points(n_agreeing: int) -> int:
    """Points for the number of *other* randomised entries that agree."""
    n = int(check_real("n_agreeing", n_agreeing, low=0))
    return next((pts for threshold, pts in REPLICATION_STEPS if n >= threshold), 0)


def score(entry: Entry, entries: Iterable[Entry]) -> Score:
    """Score ``entry`` against the others in ``entries`` (used for replication).

    Replication counts the other randomised, non-hypothetical *trials* (distinct sources: two arms
    of one trial are one trial) with the same indication, molecule and result. A pending entry
    (registered, no results) gets no size or replication points: planned patients are not evidence.
    """
    agreeing = 0
    if entry.result != "pending":
        agreeing = len({e.source or e.id for e in entries
                        if e.id != entry.id and not e.hypothetical and e.randomised and e.result == entry.result
                        and e.indication == entry.indication and e.drug == entry.drug
                        and (e.source != entry.source or not e.source)})
    size = 0 if entry.result == "pending" else size_points(entry.n_total)
    return Score(design_points(entry.kind), size, blinding_points(entry.blinding), replication_points(agreeing))


def scores(entries: Sequence[Entry]) -> dict[str, Score]:
    """``{entry id: Score}`` for every entry."""
    return {e.id: score(e, entries) for e in entries}


# ------------------------------------------------------------------------- from the trial table
def _direction(lo: float, hi: float, null: float, benefit_high: bool) -> str:
    if lo > null:
        return "benefit" if benefit_high else "harm"
    if hi < null:
        return "harm" if benefit_high else "benefit"
    return "null"


def _entry_from_comparison(c: Comparison, raw: dict, meta: dict) -> Entry:
    kind = ("rct-crossover" if c.design == "crossover" else "rct-parallel") if raw["blinding_kind"] != "open" \
        else "randomised-open"
    n_compared = raw.get("n_total")
    if n_compared is None:
        n_compared = c.n_treatment if c.design == "crossover" else (c.n_treatment or 0) + (c.n_control or 0)
    n_total = raw.get("n_randomised", n_compared)
    if n_total < n_compared:
        raise ValueError(f"{c.id}: n_randomised ({n_total}) is smaller than the patients in its arms ({n_compared})")
    result = check_choice(f"{c.id}.result", raw["result"], RESULTS)
    effect_d = ci_d = None
    effect_text, outcome = "no effect size in the source", ""
    primary = raw.get("primary")
    if primary:
        name, _, time = primary.partition(" at ")
        row = c.outcome(name, time)
        if row is None:
            raise ValueError(f"{c.id}.primary: no outcome row {primary!r}")
        outcome = name
        higher_better = bool(meta.get(name, {}).get("higher_is_better", True))
        measure = row.measures[0]
        if row.kind == "counts":
            measure = "or"
        eff = outcome_effect(c, row, measure)
        lo, hi = eff.ci()
        null = 1.0 if eff.is_ratio else 0.0
        computed = _direction(lo, hi, null, higher_better)
        if computed != result:
            raise ValueError(f"{c.id}: result {result!r} disagrees with the CI of its primary row ({computed})")
        v = row.values
        est, lo_p, hi_p = (v["estimate"], v["lower"], v["upper"]) if row.kind == "reported" else (eff.value, lo, hi)
        unit = " points" if measure == "md" else ""
        effect_text = f"{_MEASURE_NAMES[measure]} {est:.2f}{unit} (95% CI {lo_p:.2f} to {hi_p:.2f}), {row.time}"
        sign = 1.0 if higher_better else -1.0
        if measure == "g":
            effect_d = sign * eff.estimate
            ci_d = tuple(sorted((sign * eff.ci_pooling_scale()[0], sign * eff.ci_pooling_scale()[1])))
        elif measure == "or":
            lo_l, hi_l = eff.ci_pooling_scale()
            effect_d = sign * float(log_or_to_d(eff.estimate))
            ci_d = tuple(sorted((sign * float(log_or_to_d(lo_l)), sign * float(log_or_to_d(hi_l)))))
    label = f"{c.trial}: {c.drug}" if c.drug and c.drug != "racemic ketamine" else c.trial
    return Entry(c.id, label, raw["indication"], c.drug or "racemic ketamine", kind, raw["blinding_kind"],
                 int(n_total), result, outcome, effect_d, ci_d, effect_text, c.source, c.flag, c.note,
                 n_compared=int(n_compared))


def load_map(table: str = "trials_future") -> list[Entry]:
    """All entries of a trial table with map fields (``indication``, ``blinding_kind``, ``result``).

    Raises
    ------
    ValueError
        If an entry lacks a map field, has a bad kind, blinding or result, or declares a result
        that its primary row's confidence interval contradicts.
    """
    data = load_table(table)
    comps = parse_trials(data, table)
    raws = {r["id"]: r for r in data.get("comparisons", [])}
    meta = data.get("outcomes", {})
    out = []
    for c in comps:
        raw = raws[c.id]
        for key in ("indication", "blinding_kind", "result"):
            if key not in raw:
                raise ValueError(f"{table}.{c.id}: field {key!r} is required for the evidence map")
        check_choice(f"{c.id}.blinding_kind", raw["blinding_kind"], list(BLINDING_POINTS))
        out.append(_entry_from_comparison(c, raw, meta))
    for i, raw in enumerate(data.get("other_evidence", [])):
        where = f"{table}.other_evidence[{i}]"
        for key in ("id", "label", "indication", "kind", "drug", "n", "result", "source", "flag"):
            if key not in raw:
                raise ValueError(f"{where}: field {key!r} is required")
        check_choice(f"{where}.kind", raw["kind"], KINDS)
        check_choice(f"{where}.flag", raw["flag"], list(FLAGS))
        out.append(Entry(raw["id"], raw["label"], raw["indication"], raw["drug"], raw["kind"], "open",
                         int(raw["n"]), check_choice(f"{where}.result", raw["result"], RESULTS),
                         effect_text="no controlled comparison", source=raw["source"], flag=raw["flag"],
                         note=raw.get("note", ""), n_compared=int(raw["n"])))
    per_trial: dict[str, set[int]] = {}
    for e in out:
        if e.source:
            per_trial.setdefault(e.source, set()).add(e.n_total)
    mixed = sorted(k for k, v in per_trial.items() if len(v) > 1)
    if mixed:
        raise ValueError(f"{table}: entries of one trial (same source) must give the same patients randomised "
                         f"(n_randomised); they differ for {mixed}")
    ids = [e.id for e in out]
    dupes = sorted({x for x in ids if ids.count(x) > 1})
    if dupes:
        raise ValueError(f"{table}: entry ids must be unique; repeated: {dupes}")
    return out


# ------------------------------------------------------------------------- a learner's new trial
def hypothetical_entry(indication: str, *, kind: str = "rct-parallel", blinding: str = "inert", n_total: int = 60,
                       result: str = "benefit", effect_d: float | None = None, drug: str = "racemic ketamine",
                       label: str = "Your new trial") -> Entry:
    """A hypothetical study to place on the map (see :func:`place`).

    Parameters
    ----------
    indication : str
        Any indication (a new one gets its own column).
    kind : str
        One of :data:`KINDS`.
    blinding : str
        ``"active"``, ``"inert"``, ``"dose-contrast"`` or ``"open"``; a design that is not randomised
        must be ``"open"``.
    n_total : int
        Patients randomised or treated (>= 1).
    result : str
        One of :data:`RESULTS`.
    effect_d : float, optional
        Standardised effect (positive favours the drug), between −5 and 5.

    Raises
    ------
    ValueError
        For an unknown kind, blinding or result, a blank indication, a size below 1, an effect
        outside −5 to 5, or a blinded design that is not randomised.
    """
    if not isinstance(indication, str) or not indication.strip():
        raise ValueError(f"indication must be a non-empty string; got {indication!r}")
    check_choice("kind", kind, KINDS)
    check_choice("blinding", blinding, list(BLINDING_POINTS))
    check_choice("result", result, RESULTS)
    size_points(n_total)
    if n_total < 1:
        raise ValueError(f"n_total must be at least 1 patient; got {n_total!r}")
    if kind not in RANDOMISED and blinding != "open":
        raise ValueError(f"blinding must be 'open' for a {kind!r} study (only randomised trials can be blinded); "
                         f"got {blinding!r}")
    if effect_d is not None:
        effect_d = float(check_real("effect_d", effect_d, low=-5.0, high=5.0, unit="SD"))
    return Entry("hypothetical", label, indication.strip(), drug, kind, blinding, int(n_total), result,
                 effect_d=effect_d, effect_text="hypothetical", hypothetical=True, n_compared=int(n_total))


def place(entries: Sequence[Entry], new: Entry) -> dict:
    """Where ``new`` lands among ``entries``: its score, and how it changes the others'.

    Returns
    -------
    dict
        ``score`` (Score of the new entry), ``rank`` (1 = strongest within its indication, ties
        share the better rank), ``n_in_indication``, ``strongest`` (id of the top existing entry
        there, or None) and ``changed`` (``{id: (old total, new total)}`` for existing entries
        whose replication score the new entry changes, counted as if it were real).
    """
    base = [e for e in entries if not e.hypothetical]
    s_new = score(new, base)
    same = [e for e in base if e.indication == new.indication]
    totals = {e.id: score(e, base).total for e in same}
    rank = 1 + sum(1 for t in totals.values() if t > s_new.total)
    as_real = replace(new, hypothetical=False)
    changed = {}
    for e in same:
        after = score(e, [*base, as_real]).total
        if after != totals[e.id]:
            changed[e.id] = (totals[e.id], after)
    strongest = max(same, key=lambda e: totals[e.id]).id if same else None
    return {"score": s_new, "rank": rank, "n_in_indication": len(same) + 1, "strongest": strongest,
            "changed": changed}


# ------------------------------------------------------------------------- filters
def indications(entries: Iterable[Entry]) -> list[str]:
    """Indications in table order."""
    return list(dict.fromkeys(e.indication for e in entries))


def drugs(entries: Iterable[Entry]) -> list[str]:
    """Molecules in table order."""
    return list(dict.fromkeys(e.drug for e in entries))


def outcomes(entries: Iterable[Entry]) -> list[str]:
    """Primary-outcome names in table order (``""`` stands for entries without numbers)."""
    return list(dict.fromkeys(e.outcome for e in entries))


def filter_entries(entries: Iterable[Entry], *, drug: str | None = None, outcome: str | None = None,
                   controlled_only: bool = False) -> list[Entry]:
    """Entries for one molecule and/or one primary outcome (``None`` keeps all)."""
    entries = list(entries)
    if drug is not None:
        check_choice("drug", drug, drugs(entries))
    if outcome is not None:
        check_choice("outcome", outcome, outcomes(entries))
    return [e for e in entries if (drug is None or e.drug == drug) and (outcome is None or e.outcome == outcome)
            and (not controlled_only or e.randomised)]


def _fmt(x: float) -> str:  # pragma: no cover - convenience for notebooks
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"
