"""Trial evidence as data: effect sizes, meta-analysis and trial simulation.

Layers (lower never imports higher; none imports widgets):

- :mod:`.effect_sizes`: Hedges g, OR/RR/RD, NNT and their CIs from published summary numbers,
  with the conversions stated in its docstring;
- :mod:`.meta`: random-effects pooling through ``statsmodels.stats.meta_analysis``;
- :mod:`.trials`: the ``data/trials_*.toml`` tables (one entry per arm comparison) and selection
  by outcome, time point, comparator and design;
- :mod:`.pooling`: selection + pooling with the checks a reviewer makes first (shared control
  arms split, strata of one trial, change vs final scores, kinds of comparator, drugs, analyses),
  each flagged with a sensitivity result;
- :mod:`.simulate`: a seeded two-arm trial simulator (Chapter 3).
"""

from .effect_sizes import (EffectSize, binary_effect, d_to_log_or, effect_from_ci, flip, hedges_g,
                           hedges_g_from_se, log_or_to_d, newcombe_rd_ci, nnt, nnt_from_d, nnt_interval,
                           odds_ratio, risk_difference, risk_ratio, sd_from_ci, sd_from_se)
from .meta import MetaResult, meta_analyse
from .pooling import MixedEvidenceWarning, PooledEvidence, pool
from .trials import (Comparison, Outcome, available, comparison_nnt, load_trials, nonresponder_imputation,
                     outcome_effect, select, trial_tables)

__all__ = [
    "EffectSize", "binary_effect", "d_to_log_or", "effect_from_ci", "flip", "hedges_g", "hedges_g_from_se",
    "log_or_to_d", "newcombe_rd_ci", "nnt", "nnt_from_d", "nnt_interval", "odds_ratio", "risk_difference",
    "risk_ratio", "sd_from_ci", "sd_from_se", "MetaResult", "meta_analyse", "Comparison", "Outcome", "available",
    "comparison_nnt", "load_trials", "outcome_effect", "select", "trial_tables", "nonresponder_imputation",
    "pool", "PooledEvidence", "MixedEvidenceWarning",
]
