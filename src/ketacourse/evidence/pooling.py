"""Pooling a selection of trial rows, with the checks a careful reviewer would make first.

:func:`pool` selects the rows of a trial table for one outcome and time (as
:func:`~ketacourse.evidence.trials.select` does, sharing control arms out by default), pools them
(:func:`~ketacourse.evidence.meta.meta_analyse`) and says what the pooled number mixes:

``shared-control-split``
    two or more rows used one control arm, whose patients were divided between them;
``strata-of-one-trial``
    several rows come from one trial (strata or doses): k counts rows, not trials;
``mixed-score-type``
    change-from-baseline and final scores pooled together as standardised differences, which the
    Cochrane Handbook (chapter 10) advises against, because a final score carries the baseline
    imbalance of a small trial into the effect;
``mixed-comparator``
    inert placebos (saline, placebo spray), an active placebo (midazolam) and active treatments
    (quetiapine, ECT) answer different questions;
``mixed-drug``
    racemic ketamine and esketamine pooled together;
``mixed-analysis``
    rows that count different patients (observed case, all randomised, model-based).

For each flag that splits the selection into kinds, :attr:`PooledEvidence.sensitivity` holds the
pooled result within each kind (for example "change scores only"), and for a split control arm the
result of counting it twice, so that a reader sees what the mixing changes. ``warn=True`` also
issues a :class:`MixedEvidenceWarning` naming the flags.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .effect_sizes import EffectSize
from .meta import MetaResult, meta_analyse
from .trials import Comparison, select

__all__ = ["PooledEvidence", "pool", "mixing_flags", "MixedEvidenceWarning", "COMPARATOR_KINDS", "FLAG_TEXT"]

COMPARATOR_KINDS = {
    "saline": "inert placebo",
    "placebo spray": "inert placebo",
    "midazolam": "active placebo",
    "quetiapine": "active treatment",
    "ECT": "active treatment",
}
"""The kind of each control used in the course's trial tables (unknown names count as their own kind)."""

FLAG_TEXT = {
    "shared-control-split": "a control arm shared by several rows was split between them (each patient counted once)",
    "shared-control-double-counted": "a control arm shared by several rows is counted once per row (double counting)",
    "strata-of-one-trial": "several rows come from one trial: k counts rows (strata or doses), not trials",
    "mixed-score-type": "change-from-baseline and final scores are pooled together",
    "mixed-comparator": "the controls are of different kinds (inert placebo, active placebo, active treatment)",
    "mixed-drug": "racemic ketamine and esketamine are pooled together",
    "mixed-analysis": "the rows count different patients (observed case, all randomised, model-based)",
}


class MixedEvidenceWarning(UserWarning):
    """A pooled estimate mixes kinds of evidence (see :data:`FLAG_TEXT`)."""


@dataclass(frozen=True)
class PooledEvidence:
    """A pooled estimate with what it mixes and what changes without the mixing.

    Attributes
    ----------
    result : MetaResult or None
        The pooled estimate (None for an empty selection).
    rows : tuple of (Comparison, EffectSize)
        The pooled rows, after any control-arm split.
    n_trials : int
        Distinct trials among the rows (:attr:`Comparison.trial_key`).
    flags : tuple of str
        Keys of :data:`FLAG_TEXT` that apply, in a fixed order.
    sensitivity : dict
        ``{label: MetaResult}``: the pool within each kind of a mixed selection, and, when a shared
        control arm was split, the pool that counts it once per row.
    """

    result: MetaResult | None
    rows: tuple[tuple[Comparison, EffectSize], ...]
    n_trials: int
    flags: tuple[str, ...]
    sensitivity: dict[str, MetaResult] = field(default_factory=dict)

    @property
    def messages(self) -> list[str]:
        """The flags in words."""
        return [FLAG_TEXT[f] for f in self.flags]


def _score(c: Comparison, outcome: str, time: str) -> str:
    o = c.outcome(outcome, time)
    return (o.score if o is not None else "") or "not recorded"


def _analysis(c: Comparison, outcome: str, time: str) -> str:
    o = c.outcome(outcome, time)
    return (o.analysis if o is not None else "") or "not stated"


def _drug(c: Comparison) -> str:
    return c.drug or "not recorded"


def _comparator_kind(c: Comparison) -> str:
    return COMPARATOR_KINDS.get(c.comparator, c.comparator)


def mixing_flags(rows: Sequence[tuple[Comparison, EffectSize]], outcome: str, time: str) -> list[str]:
    """The mixing flags (keys of :data:`FLAG_TEXT`, except the shared-control ones) of a selection."""
    cs = [c for c, _e in rows]
    flags = []
    if len({c.trial_key for c in cs}) < len(cs):
        flags.append("strata-of-one-trial")
    scores = {_score(c, outcome, time) for c in cs} - {"not recorded"}
    if len(scores) > 1:
        flags.append("mixed-score-type")
    if len({_comparator_kind(c) for c in cs}) > 1:
        flags.append("mixed-comparator")
    if len({_drug(c) for c in cs} - {"not recorded"}) > 1:
        flags.append("mixed-drug")
    if len({_analysis(c, outcome, time) for c in cs}) > 1:
        flags.append("mixed-analysis")
    return flags


def _by_kind(rows, kind_of: Callable[[Comparison], str], prefix: str, suffix: str, method: str, level: float
             ) -> dict[str, MetaResult]:
    kinds: dict[str, list[EffectSize]] = {}
    for c, e in rows:
        kinds.setdefault(kind_of(c), []).append(e)
    return {f"{prefix}{k}{suffix}": meta_analyse(es, method=method, level=level) for k, es in kinds.items()}


def pool(comparisons: Sequence[Comparison], outcome: str, time: str, measure: str, *,
         comparators: Iterable[str] | None = None, designs: Iterable[str] | None = None,
         exclude: Iterable[str] = (), shared_control: str = "split", method: str = "dl", level: float = 0.95,
         warn: bool = False) -> PooledEvidence:
    """Select, pool and flag the rows for one outcome and time (see the module docstring).

    Parameters are those of :func:`~ketacourse.evidence.trials.select` and
    :func:`~ketacourse.evidence.meta.meta_analyse`; ``warn=True`` issues a
    :class:`MixedEvidenceWarning` when any mixing flag (not the split itself) applies.

    Returns
    -------
    PooledEvidence
    """
    kw = dict(comparators=comparators, designs=designs, exclude=exclude)
    rows = select(comparisons, outcome, time, measure, shared_control=shared_control, **kw)
    if not rows:
        return PooledEvidence(None, (), 0, ())
    result = meta_analyse([e for _c, e in rows], method=method, level=level)
    flags: list[str] = []
    sensitivity: dict[str, MetaResult] = {}
    groups = [c.control_group for c, _e in rows if c.control_group]
    if len(groups) > len(set(groups)):
        if shared_control == "split":
            flags.append("shared-control-split")
            kept = select(comparisons, outcome, time, measure, shared_control="keep", **kw)
            sensitivity["shared control arm counted once per row"] = meta_analyse(
                [e for _c, e in kept], method=method, level=level)
        else:
            flags.append("shared-control-double-counted")
    mixing = mixing_flags(rows, outcome, time)
    flags += mixing
    if "mixed-score-type" in mixing:
        sensitivity.update(_by_kind(rows, lambda c: _score(c, outcome, time), "", " scores only", method, level))
    if "mixed-comparator" in mixing:
        sensitivity.update(_by_kind(rows, _comparator_kind, "vs ", " only", method, level))
    if "mixed-drug" in mixing:
        sensitivity.update(_by_kind(rows, _drug, "", " only", method, level))
    if "mixed-analysis" in mixing:
        sensitivity.update(_by_kind(rows, lambda c: _analysis(c, outcome, time), "", " rows only", method, level))
    if warn and mixing:
        warnings.warn("pooled estimate for " + f"{outcome} at {time}: " + "; ".join(FLAG_TEXT[f] for f in mixing),
                      MixedEvidenceWarning, stacklevel=2)
    return PooledEvidence(result, tuple(rows), len({c.trial_key for c, _e in rows}), tuple(flags), sensitivity)
