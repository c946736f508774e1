"""Write chapters/03-rapid-antidepressant.ipynb from the cell texts below (then execute it with
``jupyter nbconvert --to notebook --execute --inplace``). Kept as a script so the chapter's
structure (exercise, solution and check cells with their tags) is reviewable as text."""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "chapters" / "03-rapid-antidepressant.ipynb"
SNIPPET = (ROOT / "chapters" / "_snippets" / "content-note-suicide.md").read_text(encoding="utf-8").strip()

cells = []


def md(text, *tags):
    c = nbformat.v4.new_markdown_cell(text.strip("\n"))
    if tags:
        c.metadata["tags"] = list(tags)
    cells.append(c)


def code(text, *tags, stub=None):
    c = nbformat.v4.new_code_cell(text.strip("\n"))
    if tags:
        c.metadata["tags"] = list(tags)
    if stub:
        c.metadata["ketacourse"] = {"stub": stub}
    cells.append(c)


def exercise(label, title, body, solution_code, stub, solution_text, check_key, answer_var):
    md(f":::{{exercise}} {title}\n:label: {label}\n\n{body.strip()}\n:::")
    md(f":::{{solution-start}} {label}\n:class: dropdown\n:::", "solution")
    code(solution_code, "solution", stub=stub)
    md(f"{solution_text.strip()}\n\n:::{{solution-end}}\n:::", "solution")
    code(f'check("{check_key}", {answer_var})', "check")


# =============================================================================================
md(r"""
# A rapid antidepressant

In 2000 a small crossover trial reported something no antidepressant had done: a single
intravenous dose of ketamine lowered depression scores within three days {cite:p}`berman2000`.
Twenty-five years later an esketamine nasal spray is licensed for treatment-resistant depression,
racemic ketamine is compared head to head with electroconvulsive therapy, and the field argues
about how much of the effect is pharmacology and how much is expectation. This chapter is about
reading that evidence: what the trials measured, how large and how lasting the effect is, what
the esketamine trials showed, what is known about suicidal thoughts, and which proposed
mechanisms rest on human rather than animal evidence.

## Learning objectives

By the end of this chapter you should be able to:

1. **Define** treatment-resistant depression as trials use it, and the rating scales, response and
   remission criteria behind trial results.
2. **Compute** effect sizes (Hedges g, risk difference, odds ratio) and the number needed to treat
   with confidence intervals from published counts and means, and pool trials with a
   random-effects meta-analysis.
3. **Explain** why ketamine's effect is smaller against midazolam than against saline, and what the
   masked and blinded null trials imply about functional unblinding.
4. **Describe** the time course of the effect after one infusion and after repeated infusions, and
   the limits of a descriptive model of it.
5. **Summarise** the evidence on suicidal ideation and on esketamine (pivotal trials, quetiapine
   comparison, monitoring), and compare ketamine with ECT.
6. **Appraise** the mechanism hypotheses, separating animal from human evidence and contested
   from established claims.

**Estimated time:** about 2 hours 30 minutes, plus the exercises.
""")
code(r"""
# Colab only: install the course package (it is already installed locally, on Binder and on JupyterHub).
import importlib.util, sys
if "google.colab" in sys.modules and importlib.util.find_spec("ketacourse") is None:
    %pip install -q "git+https://github.com/ketacourse/ketacourse"
""", "remove-cell")
code(r"""
import numpy as np

from ketacourse import evidence as ev
from ketacourse.course import disclaimer
from ketacourse.evidence import simulate as sim
from ketacourse.exercises import SelfCheck, check
from ketacourse.pd import antidepressant as ad
from ketacourse.widgets.depression import HypothesisDiagram, ResponseTimeCourse
from ketacourse.widgets.evidence import ForestPlot, TrialSimulator

trials = ev.load_trials("trials_depression")
disclaimer()
""")

# =============================================================================================
md(r"""
## Depression, treatment resistance and how trials measure them

*About 15 minutes.*

Major depressive disorder is diagnosed from symptoms (low mood or loss of interest for at least
two weeks, with changes in sleep, appetite, energy, concentration, self-worth, and thoughts of
death). Trials grade its severity with clinician-rated scales. The
MADRS (Montgomery–Åsberg Depression Rating Scale) ranges from 0 to 60 {cite:p}`reif2023`; the
Hamilton scale (HDRS or HAM-D) is used in several versions {cite:p}`berman2000,fava2018`; the
QIDS-SR16 is a self-report scale scored 0 to 27 {cite:p}`anand2023`.

**Treatment-resistant depression (TRD)** has no single definition, but the ketamine trials mostly
use the same rule: no satisfactory response (less than a 50% improvement) to at least two adequate
courses of treatment in the current episode {cite:p}`fava2018`. Two outcome conventions recur:

- **response**: a fall of at least 50% from baseline on the trial's scale;
- **remission**: a score below a cut-off, for example MADRS 10 or less in ESCAPE-TRD
  {cite:p}`reif2023`.

Trials report either a difference in scores (a mean difference in scale points, or a standardised
mean difference such as Hedges g, in standard-deviation units) or a difference in the proportion
of responders. From the proportions come the risk difference (RD), the risk ratio, the odds ratio
and the **number needed to treat**, NNT = 1 / RD: how many patients must receive the treatment
instead of the comparator for one more to respond. The course's `ketacourse.evidence` package
computes all of them, with confidence intervals, from the numbers a paper publishes; its
conventions are stated in its documentation and tested against textbook examples
{cite:p}`borenstein2009,newcombe1998,altman1998`.

Here is the ketamine-versus-ECT trial ELEKT-D, read from the course's trial table (the counts are
derived from the published percentages and the numbers treated, as the table says):
""")
code(r"""
# NBVAL_CHECK_OUTPUT
elektd = next(c for c in trials if c.id == "elektd")
row = elektd.outcome("response", "week 3")
v = row.values
res = ev.nnt(v["events_treatment"], v["n_treatment"], v["events_control"], v["n_control"])
print(f"{elektd.trial}: response {v['events_treatment']}/{v['n_treatment']} vs {v['events_control']}/{v['n_control']}")
print(f"risk difference {100 * res['rd']:.1f} points (95% CI {100 * res['rd_lower']:.1f} to {100 * res['rd_upper']:.1f})")
print(f"NNT {res['nnt']:.1f} (95% CI {res['lower']:.1f} to {res['upper']:.1f})")
print(ev.odds_ratio(v['events_treatment'], v['n_treatment'], v['events_control'], v['n_control']))
""")
md(r"""
The published difference was 14.2 percentage points (95% CI 3.9 to 24.2) {cite:p}`anand2023`; the
course's Newcombe interval agrees to within 0.2 points (computed above). An NNT of about 7 means
that for every seven patients offered ketamine rather than ECT, one more responded (computed above)
in that trial. Note what the NNT hides: it depends on the comparator, the time point and the
definition of response, so NNTs from different trials are comparable only when those match.
""")
code(r"""
SelfCheck(
    "A trial reports response in 60% of patients on drug and 50% on placebo. What is the NNT?",
    ["2", "10", "1.2", "0.1"],
    1,
    "The risk difference is 0.60 − 0.50 = 0.10, and NNT = 1 / 0.10 = 10.",
    feedback=[
        "That would need a difference of 50 percentage points; here it is 10.",
        "",
        "That is the risk ratio (0.60 / 0.50), a relative measure; the NNT needs the absolute difference.",
        "That is the risk difference itself; the NNT is its reciprocal.",
    ],
)
""", "remove-input")

exercise(
    "ch3-ex-nnt", "The NNT of a new trial",
    r"""
A new midazolam-controlled trial (not in the course table) reports response at 24 hours in 21 of 40
patients given ketamine and 8 of 38 given midazolam. What is the number needed to treat? Use
`ev.nnt(...)` and store the value (a number of patients, not rounded) in `answer_nnt`.
""",
    r"""
res_new = ev.nnt(21, 40, 8, 38)
print(f"RD {res_new['rd']:.3f}, NNT {res_new['nnt']:.2f} (95% CI {res_new['lower']:.1f} to {res_new['upper']:.1f})")
answer_nnt = res_new["nnt"]
""",
    "answer_nnt = None  # your answer: the NNT (patients)",
    r"""
The response rates are 52.5% and 21.1%, a risk difference of 0.31, so the NNT is about 3.2. The
interval (about 2 to 10) shows how little 78 patients pin it down: the same data are compatible
with a very large benefit and a modest one.
""",
    "ch3-nnt", "answer_nnt",
)

# =============================================================================================
md(r"""
## The first trials, the midazolam era and what meta-analyses find

*About 30 minutes.*

**The first trials.** Berman and colleagues gave ketamine hydrochloride 0.5 mg/kg or saline, in
random order and double blind, to patients with major depression; in the 7 who completed both
infusions the HDRS fell by 14 ± 10 points after ketamine and 0 ± 12 after saline within 72 hours
{cite:p}`berman2000`. Zarate and colleagues repeated the design in treatment-resistant depression
with the regimen that became standard, 0.5 mg/kg over 40 minutes {cite:p}`zarate2006`, and the same
group found the effect in bipolar depression: d = 0.52 (95% CI 0.28 to 0.76) at 40 minutes, largest
at day 2 (d = 0.80, 0.55 to 1.04), with 71% responding to ketamine at some point versus 6% to
placebo {cite:p}`diazgranados2010`.

**The blinding problem.** Ketamine at this dose causes dissociation within minutes; saline causes
nothing. Patients and raters who can tell which infusion was given may expect, and report, more
improvement after ketamine. Murrough and colleagues therefore compared ketamine with an *active
placebo*, midazolam 0.045 mg/kg, in 73 medication-free patients randomised 2:1; at 24 hours the
MADRS had fallen by 16.5 points with ketamine and 8.8 with midazolam {cite:p}`murrough2013`. A
patient-level analysis of 9 trials (367 patients) then quantified the difference the comparator
makes: the day-1 effect size was d = 0.7 (0.4 to 0.9) against midazolam but d = 1.8 (1.4 to 2.2)
against saline, and the modelled response rates were 45% and 46% with ketamine but 18% with
midazolam and 1% with saline {cite:p}`wilkinson2019`. Ketamine did the same in both kinds of trial;
the *controls* differed.

**Dose and frequency.** In a dose-finding trial of 99 outpatients, single infusions of 0.5 and
1.0 mg/kg beat midazolam after correction for multiple comparisons; 0.1 mg/kg was significant
only before correction, and most of the difference was at day 1 {cite:p}`fava2018`. Repeated
infusions kept the effect going: over 15 days the MADRS fell by 18.4 (SD 12.0) points with
twice-weekly ketamine versus 5.7 (SD 10.2) with placebo, and by 17.7 (7.3) versus 3.1 (5.7) with
thrice-weekly infusions {cite:p}`singh2016`.

**Meta-analyses.** Pooling 9 single-infusion trials, ketamine beat placebo from 40 minutes,
peaked at day 1 (Hedges g −1.00, 95% CI −1.28 to −0.73) and was no longer superior by days 10 to 12
{cite:p}`kishimoto2016`. In 9 trials with 368 patients, 52.2% responded to ketamine at 24 hours,
47.9% at 72 hours and 39.8% at day 7 {cite:p}`han2016`. Against midazolam only, a Cochrane review
found 24-hour response odds 2.48 times higher (95% CI 1.00 to 6.18), judged very low-certainty
evidence {cite:p}`dean2021`. After 2 to 3 weeks of repeated dosing the standardised difference was
−0.70 (−1.15 to −0.25) or −0.81 (−1.41 to −0.20), depending on the regimen {cite:p}`kryst2020`.
""")
md(r"""
### Try it: the forest plot

The forest plot pools whichever trials in the course table report the chosen outcome at the
chosen time, using a random-effects model (DerSimonian–Laird, computed by the `statsmodels`
library and validated in the course's tests against a published meta-analysis)
{cite:p}`dersimonian1986,viechtbauer2010,colditz1994`. Each square is one arm comparison, sized by
its weight and coloured by its comparator; the diamond is the pooled estimate and its 95% CI.

**Predict first.** Choose "Depression score, day 1" (the measure switches to Hedges g). Two trials
report it: Murrough 2013 against midazolam and Lii 2023, in which ketamine or saline was given
during surgical anaesthesia so that nobody could tell which. Which will show the larger effect?
Then untick "vs midazolam": what happens to the pooled estimate?
""")
code("ForestPlot()")
md(r"""
**What to notice.** The esketamine day-28 response trials agree closely (I² near 0), and their
pooled risk difference gives an NNT of about 7 (computed by the widget). On day 1, the
midazolam-controlled trial shows a clear benefit while the masked trial's interval crosses zero;
with only two trials the pooled estimate mostly reflects the larger one. Switching the outcome to
suicidal ideation or relapse shows the other endpoints the chapter discusses. Every number comes
from `data/trials_depression.toml`, with its source and an evidence flag on every row.

The headline numbers of the default view, printed so that they are checked whenever the chapter
runs:
""")
code(r"""
# NBVAL_CHECK_OUTPUT
d28 = ev.select(trials, "response", "day 28", "rd")
pooled = ev.meta_analyse([e for _c, e in d28])
nnt = ev.nnt_interval(pooled.estimate, pooled.ci_low, pooled.ci_high)
for c, e in d28:
    lo, hi = e.ci()
    print(f"{c.trial:24s} RD {100 * e.value:5.1f} points ({100 * lo:5.1f} to {100 * hi:5.1f})")
print(f"pooled (k = {pooled.k}): {100 * pooled.value:.1f} points ({100 * pooled.ci_low:.1f} to {100 * pooled.ci_high:.1f}), "
      f"I² = {100 * pooled.i2:.0f}%, NNT {nnt['nnt']:.1f} ({nnt['lower']:.1f} to {nnt['upper']:.1f})")
""")
code(r"""
SelfCheck(
    "In the patient-level analysis of 9 trials, why was ketamine's effect size about 1.8 against saline but 0.7 against midazolam?",
    [
        "Ketamine worked better in the saline-controlled trials.",
        "Patients improved much more after midazolam than after saline, so the difference from ketamine was smaller.",
        "Midazolam blocks ketamine's action at the NMDA receptor.",
        "The midazolam trials used a lower ketamine dose.",
    ],
    1,
    "Response to ketamine was about the same in both kinds of trial (45% and 46%); the controls differed (18% with midazolam, 1% with saline). An active placebo that feels like a drug preserves more of the blind, and may itself help a little.",
    feedback=[
        "Ketamine's own response rate was almost the same in both kinds of trial; look at the control arms.",
        "",
        "The two drugs were given to different patients; midazolam acts at GABA-A receptors, not NMDA receptors.",
        "The ketamine doses were 0.5 to 0.54 mg/kg in all 9 trials.",
    ],
)
""", "remove-input")
md(r"""
### The null trials

Two kinds of trial were designed to take the blinding problem away, and both were negative.

- **Masked by anaesthesia.** Forty adults with depression who were having surgery received
  ketamine or saline during general anaesthesia, so neither they nor the raters could recognise
  the drug. At day 1, 60% (12/20) responded after ketamine and 50% (10/20) after saline; by day 14
  it was 42.1% versus 57.9%, and there was no significant difference at any time
  {cite:p}`lii2023`. Both arms improved a great deal, which says as much about expectation and care
  as about the drug.
- **Blinded serial infusions in hospital.** A trial of repeated adjunctive infusions of ketamine or
  midazolam in hospitalised patients (KARMA-Dep 2) was reported in 2025 as showing no difference at
  the end of treatment or at follow-up, with most patients and raters guessing the allocation
  correctly. At the time of writing the course had only a secondary report of it, so it quotes no
  numbers from it and it is not in the forest plot.

A null result in a small trial is not proof of no effect: the masked trial's confidence interval
includes moderate benefits. But these designs test exactly what the saline-controlled trials could
not, and they did not find the large effects those trials reported.
""")

exercise(
    "ch3-ex-masked", "What does the masked trial show?",
    r"""
Which reading of the masked trial {cite:p}`lii2023` is best supported? Store the letter as a string
in `answer_masked`.

- (a) Ketamine has no antidepressant effect: the trial proves it.
- (b) Anaesthesia is itself an antidepressant, which explains the improvement in the ketamine arm.
- (c) With the acute effects hidden, the difference was small and uncertain, consistent with a large
  contribution of expectancy in unmasked trials; but the trial is too small to rule out a moderate
  real effect.
- (d) The result is confounded by surgery, so it tells us nothing.

Use the trial table: `ev.nnt(...)` on the day-1 counts, and look at the confidence interval.
""",
    r"""
lii = next(c for c in trials if c.id == "lii2023")
v1 = lii.outcome("response", "day 1").values
r1 = ev.nnt(v1["events_treatment"], v1["n_treatment"], v1["events_control"], v1["n_control"])
print(f"day 1: RD {100 * r1['rd']:.0f} points, 95% CI {100 * r1['rd_lower']:.0f} to {100 * r1['rd_upper']:.0f}")
answer_masked = "c"
""",
    'answer_masked = None  # your choice: "a", "b", "c" or "d"',
    r"""
The day-1 risk difference is 10 percentage points with an interval from about −19 to +37
(computed above): compatible with no effect and with a benefit as large as in the midazolam trials.
Option (a) over-reads a small trial. Option (b) ignores that both arms had the same anaesthesia,
and (d) ignores that randomisation balances surgery between the arms. The trial's contribution is
that it removed the cue that could unblind, and the big effect did not appear.
""",
    "ch3-masked-trial", "answer_masked",
)

md(r"""
### Try it: what can one trial show?

The simulator runs 1,000 trials of the same design, each with patients drawn at random from the
same two populations: a control arm and a treated arm whose true improvement is larger by the
chosen effect size. It shows how much single trials scatter, the share that reach p < 0.05
(the **power**, also computed exactly from the noncentral t distribution), and the NNT implied by
the effect size and the control response rate. The last two sliders add a **hypothetical**
expectancy effect: patients who believe they had the drug improve by an extra amount. No published
estimate of that amount exists for ketamine trials; it is there to show what functional unblinding
*could* do, not what it does.

**Predict first.** The defaults are the day-1 effect against midazolam (d = 0.7) and the midazolam
response rate (18%) {cite:p}`wilkinson2019`. With 34 patients per arm, roughly what share of such
trials would miss significance? Now set the expectancy boost to 0.5 SD and let 90% of patients guess
their arm: how far does the dashed line move?
""")
code("TrialSimulator()")
md(r"""
**What to notice.** Single trials of this size scatter widely around the truth (from about 0.2 to
1.2 SD) even with no bias at all (computed by the simulator). An expectancy effect shifts *every*
trial's estimate, and no amount of patients removes it: power rises, but towards the wrong answer.
Only blinding that holds, or a design like the masked trial, can tell the two apart.
""")
code(r"""
# NBVAL_CHECK_OUTPUT
for n in (10, 34, 100):
    r = sim.simulate_trials(n, 0.7, n_trials=2000, seed=2024)
    print(f"{n:3d} per arm: simulated power {100 * r.power:4.1f}%, analytic {100 * sim.analytic_power(n, 0.7):4.1f}%, "
          f"95% of estimates between {np.percentile(r.d_hat, 2.5):.2f} and {np.percentile(r.d_hat, 97.5):.2f}")
print(f"NNT implied by d = 0.7 at an 18% control response: {ev.nnt_from_d(0.7, 0.18):.1f}")
""")

exercise(
    "ch3-ex-sample-size", "Planning a midazolam-controlled trial",
    r"""
You plan a two-arm trial of a single ketamine infusion against midazolam, analysed at day 1 with a
two-sample t test at α = 0.05. How many patients per arm give at least 80% power, if the true effect
is the one estimated against midazolam in the patient-level analysis {cite:p}`wilkinson2019`? Use
`sim.analytic_power(n_per_arm, effect_d)` and store the smallest such n in `answer_n`.
""",
    r"""
n_grid = np.arange(3, 200)
power = sim.analytic_power_curve(n_grid, 0.7)
answer_n = int(n_grid[np.argmax(power >= 0.8)])
print(f"{answer_n} per arm gives {100 * sim.analytic_power(answer_n, 0.7):.1f}% power; "
      f"with the saline effect size (1.8) it would be {int(n_grid[np.argmax(sim.analytic_power_curve(n_grid, 1.8) >= 0.8)])}")
""",
    "answer_n = None  # your answer: patients per arm",
    r"""
About 34 per arm (computed above). A trial planned from the saline-controlled effect size would
enrol about 6 per arm and would have below 20% power against midazolam: one reason early
small trials looked so convincing and later ones less so.
""",
    "ch3-sample-size", "answer_n",
)

exercise(
    "ch3-ex-pooling", "Counting a placebo arm twice",
    r"""
TRANSFORM-1 compared two esketamine doses (56 and 84 mg) with **one** shared placebo arm, and the
course table lists it as two arm comparisons. Pool the day-28 response risk differences of the
esketamine trials *counting that placebo arm only once*, by leaving out the 84 mg comparison
(`exclude={"transform1_84"}` in `ev.select`). What is the lower limit of the pooled 95% CI, in
percentage points? Store it in `answer_lower`.
""",
    r"""
kept = ev.select(trials, "response", "day 28", "rd", exclude={"transform1_84"})
pooled_3 = ev.meta_analyse([e for _c, e in kept])
answer_lower = 100 * pooled_3.ci_low
print(f"k = {pooled_3.k}: RD {100 * pooled_3.estimate:.1f} points ({answer_lower:.1f} to {100 * pooled_3.ci_high:.1f})")
""",
    "answer_lower = None  # your answer: lower 95% limit, percentage points",
    r"""
About 7.7 points, against about 8.4 when all four comparisons are pooled (computed above). The
point estimate hardly moves, but the interval widens: double-counting a shared arm makes a
meta-analysis look more precise than its data. The usual remedies are to combine the two doses into
one arm or to split the shared arm's patients between the comparisons.
""",
    "ch3-pooled-lower", "answer_lower",
)

# =============================================================================================
md(r"""
## How long does it last?

*About 20 minutes.*

After a single infusion the effect appears within hours and fades over about a week
{cite:p}`kishimoto2016`. After a course of six infusions over 12 days, 70.8% of 24 patients
responded, and the responders relapsed after a median of 18 days {cite:p}`murrough2013b`. These
two facts frame the practical question: how often, and for how long, would treatment have to be
repeated?

No mechanistic model of the NMDA-receptor-to-synapse cascade has human rate constants, so the
course uses a **descriptive** model (see `ketacourse.pd.antidepressant`). The effect-site
concentration of one 0.5 mg/kg infusion, from the course's pharmacokinetic engine (Chapter 2),
drives two components: an *acute* one that lasts while the drug is present, and a *delayed* one that
rises over hours and decays over days. Three parameters are fitted exactly to three sourced points:
the effect at 40 minutes {cite:p}`diazgranados2010`, the peak at day 1, and the loss of a
detectable difference between day 7 and day 10 {cite:p}`kishimoto2016`. Two points are kept back to
test it: the bipolar day-2 effect {cite:p}`diazgranados2010` and the effect after 2 to 3 weeks of
repeated dosing {cite:p}`kryst2020`.
""")
code(r"""
# NBVAL_CHECK_OUTPUT
p = ad.parameters()
print(f"rise half-life {p.rise_half_life_h:.1f} h, decay half-life {p.decay_half_life_days:.1f} days")
for key, t in (("40 min", 40 / 1440), ("day 1", 1), ("day 2", 2), ("day 7", 7), ("day 11", 11)):
    print(f"single infusion, {key:6s}: {ad.effect_g(t)[0]:.2f} SD")
course = ad.twice_weekly(2)
print(f"twice weekly for 2 weeks, peak {ad.effect_g(np.linspace(0, 28, 1121), course).max():.2f} SD")
""")
md(r"""
### Try it: one infusion or a course

**Predict first.** Switch the schedule to twice weekly for 2 weeks. Will the model's effect build
up, stay level, or fade between infusions? Compare its peak with the published effect after 2 to 3
weeks of repeated dosing (the open square). Then try a ceiling of 1 SD.
""")
code("ResponseTimeCourse()")
md(r"""
**What to notice.** Calibrated to single infusions, the linear model lets repeated doses stack up to
about twice the single-dose peak (computed by the model), whereas trials of repeated dosing found
standardised effects of 0.70 to 0.81 {cite:p}`kryst2020`. Something saturates in real patients (the
response cannot exceed full recovery, placebo arms improve too, and the patients who would benefit
most may already have responded), and the model does not know it: a descriptive model is only as
good as the data it was fitted to. The right panel shows why maintenance matters: with a median of
18 days {cite:p}`murrough2013b`, about a third of responders would still be well four weeks after
the last infusion (computed, constant-hazard assumption); after esketamine was stopped in stable
remitters the median was 273 days {cite:p}`daly2019`.
""")
exercise(
    "ch3-ex-offset", "When does a course wear off?",
    r"""
With the course model, give a twice-weekly course for 2 weeks (`ad.twice_weekly(2)`: infusions on
days 0, 3.5, 7 and 10.5). How many days **after the last infusion** does the modelled effect fall
below the detection line (0.275 SD)? Store the answer in `answer_days`.
""",
    r"""
t = np.linspace(0, 80, 8001)
doses = ad.twice_weekly(2)
g = ad.effect_g(t, doses)
first_below = t[(t > doses[-1] + 1) & (g < 0.275)][0]
answer_days = first_below - doses[-1]
print(f"below 0.275 SD on day {first_below:.1f}, i.e. {answer_days:.1f} days after the last infusion")
""",
    "answer_days = None  # your answer: days after the last infusion",
    r"""
About 12 days after the last infusion, compared with about 8.5 days after a single one (computed
above). The difference comes entirely from the doses stacking up in a linear model; if real effects
saturate, the extra duration would be smaller. Whether it is, is an empirical question the model
cannot answer.
""",
    "ch3-course-offset", "answer_days",
)

# =============================================================================================
md(SNIPPET)
md(r"""
## Suicidal ideation

*About 15 minutes.*

Standard antidepressants take weeks to work, and the weeks after a crisis are among the most
dangerous. A treatment that reduced suicidal thoughts within hours would matter, so this endpoint
has been studied separately.

- **Patient-level meta-analysis.** In 167 patients with suicidal ideation at baseline, pooled from
  10 saline- or midazolam-controlled trials, a single ketamine infusion reduced suicidal ideation
  from day 1 to week 1, with effect sizes of d = 0.48 to 0.85; the reduction held after adjusting
  for the change in depression {cite:p}`wilkinson2018`.
- **Against midazolam in clinically significant ideation.** In 80 patients with major depression
  and SSI scores of 4 or more, 55% responded on suicidal ideation at day 1 with ketamine versus 30%
  with midazolam (odds ratio 2.85, 95% CI 1.14 to 7.15) {cite:p}`grunebaum2018`.
- **How long it lasts.** In 84 outpatients with treatment-resistant depression and prominent
  suicidal ideation, ideation resolved at 240 minutes in 33.3% with ketamine versus 7.1% with
  midazolam; the difference persisted to day 5 but not to day 7 (19.0% vs 11.9%) or day 14
  (16.7% vs 16.7%) {cite:p}`su2023`.
- **Esketamine.** In two phase 3 trials in patients with suicidal ideation and intent, treated in
  hospital, esketamine lowered MADRS scores more than placebo spray at 24 hours (least-squares
  difference −3.8 points, 95% CI −6.56 to −1.09, in ASPIRE I) {cite:p}`fu2020,ionescu2021`, but
  **neither trial** found a difference on the clinician-rated suicidality measure: both arms
  improved quickly with hospital care. The label states that esketamine has not been shown to
  prevent suicide or reduce suicidal thoughts or actions, and that it is not a substitute for
  hospitalisation when needed {cite:p}`spravato_label`.

The evidence is for a **rapid, short-lived reduction of suicidal thoughts**, measured on rating
scales, in carefully selected and supervised patients. No trial has shown fewer suicide attempts
or deaths.
""")
code(r"""
# NBVAL_CHECK_OUTPUT
for time in ("4 h", "day 7", "day 14"):
    (c, e), = ev.select(trials, "suicidal_ideation", time, "rd")
    lo, hi = e.ci()
    print(f"{c.trial} {time:6s}: ideation resolved, RD {100 * e.value:5.1f} points ({100 * lo:5.1f} to {100 * hi:5.1f})")
""")
code(r"""
SelfCheck(
    "Esketamine's trials in patients with suicidal ideation (ASPIRE I and II) met their primary end point. What did they show about suicidality?",
    [
        "That esketamine prevents suicide attempts.",
        "A faster fall in depression scores at 24 hours, but no difference from placebo on the suicidality measure.",
        "A faster fall in suicidality, but no effect on depression.",
        "That esketamine can replace hospital admission.",
    ],
    1,
    "The primary end point was depression (MADRS) at 24 hours; on the clinician-rated suicidality scale both arms improved quickly with standard hospital care, and they did not differ.",
    feedback=[
        "No ketamine or esketamine trial has measured, or shown, fewer suicide attempts or deaths.",
        "",
        "It was the other way round: the depression end point separated, the suicidality measure did not.",
        "Every patient in these trials was treated in hospital; the label says esketamine is not a substitute for hospitalisation.",
    ],
)
""", "remove-input")

# =============================================================================================
md(r"""
## Esketamine nasal spray, the quetiapine comparison and ECT

*About 20 minutes.*

**The pivotal trials.** Esketamine, the S-enantiomer, is given as a nasal spray together with a
newly started oral antidepressant; doses are written as esketamine base, 28 mg per device
{cite:p}`spravato_label`. In TRANSFORM-2 (flexible 56 or 84 mg twice weekly for 4 weeks) the MADRS
fell 4.0 points more than with a new antidepressant plus placebo spray (95% CI −7.31 to −0.64)
{cite:p}`popova2019`. For the fixed-dose TRANSFORM-1 and for TRANSFORM-3 in adults over 65 the course
has the responder rates rather than the primary results: 54.1 (56 mg) and 53.1 (84 mg) responders
per 100 patients versus 38.9, and 27 versus 13.3 in older adults {cite:p}`fedgchin2019,katz2021`. In the
randomised-withdrawal trial SUSTAIN-1, stable remitters who stopped esketamine relapsed more often
(45.3% vs 26.7%; hazard ratio 0.49, 0.29 to 0.84; NNT 6), and so did stable responders (57.6% vs
25.8%; NNT 4) {cite:p}`daly2019`. The US approval, with an oral antidepressant, came in March 2019
{cite:p}`gastaldon2019`, amid criticism of the evidence base {cite:p}`gastaldon2019`.

**Monitoring and the regulatory frame.** The spray is given under supervision in certified
settings under a risk-management programme, patients are observed for at least 2 hours, and blood
pressure is checked before and about 40 minutes after each dose; dissociative or perceptual changes
were reported by 61–75% of patients in the trials {cite:p}`spravato_label`.

**Against an active treatment.** ESCAPE-TRD randomised 676 patients with treatment-resistant
depression to esketamine or extended-release quetiapine, both added to an SSRI or SNRI; 27.1% versus
17.6% were in remission at week 8, and 21.7% versus 14.1% were in remission at week 8 and relapse
free to week 32 {cite:p}`reif2023`. The trial was **open label**: patients knew which treatment they
had, and only the raters were blinded.

**Ketamine against ECT.** In ELEKT-D, 403 patients referred for ECT were randomised to twice-weekly
ketamine infusions or thrice-weekly ECT for 3 weeks; 55.4% versus 41.2% responded on the self-rated
QIDS-SR16, showing ketamine to be non-inferior {cite:p}`anand2023`. ECT caused temporary memory
problems and musculoskeletal effects; ketamine caused dissociation. This trial too was open label,
and its primary outcome was self-rated.
""")
code(r"""
# NBVAL_CHECK_OUTPUT
esc = next(c for c in trials if c.id == "escape_trd")
for time in ("week 8", "week 32"):
    v = esc.outcome("remission", time).values
    r = ev.nnt(v["events_treatment"], v["n_treatment"], v["events_control"], v["n_control"])
    print(f"ESCAPE-TRD remission {time}: {100 * v['events_treatment'] / v['n_treatment']:.1f}% vs "
          f"{100 * v['events_control'] / v['n_control']:.1f}%, NNT {r['nnt']:.1f} ({r['lower']:.1f} to {r['upper']:.1f})")
""")
md(r"""
:::{exercise} Open label, rater blinded
:label: ch3-ex-open-label

ESCAPE-TRD and ELEKT-D were both open label. For each trial, say who knew the allocation, which
outcome was measured by whom, and in which direction you would expect expectancy to bias the result.
Which of the two primary outcomes is more exposed to that bias, and why? Then compute the NNT for
remission at week 8 in ESCAPE-TRD from the course table, and say in one sentence what it does and
does not tell a patient choosing between the two drugs.
:::
""")
md(r"""
:::{solution} ch3-ex-open-label
:class: dropdown

In ESCAPE-TRD the patients knew whether they had esketamine or quetiapine, but the clinicians
rating the MADRS were blinded; in ELEKT-D the patients knew whether they had ketamine or ECT, and
the primary outcome (QIDS-SR16) was rated by the patients themselves. Expectancy would favour
whichever treatment patients believed in more: plausibly the newer, much-discussed drug in
ESCAPE-TRD, and either way in ELEKT-D, where ECT carries strong beliefs in both directions.
A self-rated primary outcome (ELEKT-D) is more exposed than a blinded-rater one (ESCAPE-TRD),
although blinded raters can still be unblinded by what patients say. The week-8 remission NNT in
ESCAPE-TRD is about 11 (computed in the cell above): on average, 11 patients treated with
esketamine rather than quetiapine for one extra remission at 8 weeks, in patients like those in the
trial, counting stopping treatment as failure. It says nothing about any one patient's chance, about
side effects and burden (clinic visits, observation), or about longer-term outcomes.
:::
""", "solution")

# =============================================================================================
md(r"""
## How might it work? Mechanism hypotheses and their evidence

*About 25 minutes.*

Ketamine's antidepressant effect outlasts the drug by days, so blocking NMDA receptors cannot be
the whole story: something downstream must change. Six hypotheses have been proposed. For each, ask
two questions: *is the strongest evidence from humans or from animals?* and *has anyone tried to
refute it?*

**Predict first.** Before you step through the diagram: which of the six do you expect to rest on
human evidence?
""")
code("HypothesisDiagram()")
md(r"""
**What to notice.** Four of the six rest on rodent experiments (computed from the course's
hypothesis table), and the rodent "depression" tests
(forced swimming, learned helplessness, sucrose preference) are imperfect stand-ins for the human
illness.

- **Disinhibition.** NMDA-receptor block in awake rat prefrontal cortex lowers the firing of
  putative GABA interneurons and, after a delay, raises that of most pyramidal neurons
  {cite:p}`homayoun2007`. In people the evidence is indirect.
- **BDNF, mTORC1 and new synapses.** In rats ketamine rapidly activated mTOR and increased spine
  synapses, and rapamycin blocked both the synapses and the behavioural effect {cite:p}`li2010`.
  The one human test went the other way: in 20 patients, oral rapamycin 6 mg before ketamine did not
  block the 24-hour effect, and at 2 weeks response was 41% with rapamycin versus 13% without
  {cite:p}`abdallah2020rapamycin`. The hypothesis is **contested**: systemic rapamycin may not
  reach the brain in effective amounts, or mTORC1 may not be needed in people.
- **eEF2 and rapid BDNF translation.** Blocking NMDA receptors at rest silences eEF2 kinase and
  releases BDNF synthesis; in mice the behavioural effect needed this {cite:p}`autry2011`. Untested
  in humans.
- **Lateral habenula.** In depressive-like rodents, habenular neurons fire in bursts that need NMDA
  receptors; ketamine blocks them, and local block is enough for an antidepressant-like effect
  {cite:p}`yang2018`; trapping of ketamine in these channels might explain how the effect outlasts
  the drug {cite:p}`ma2023`. Untested in humans.
- **A metabolite, (2R,6R)-HNK.** In mice it acted like ketamine without NMDA-receptor block
  {cite:p}`zanos2016`; in a rat model it did not work while (R)-ketamine did {cite:p}`shirayama2018`,
  higher levels predicted a *poorer* response in patients {cite:p}`abdallah2020`, and no binding
  target has been found {cite:p}`bonaventura2022`. **Contested.**
- **Opioid involvement.** In a crossover trial stopped at an interim analysis, naltrexone before
  ketamine markedly reduced the antidepressant effect at days 1 and 3 in 12 completers, but not the
  dissociation {cite:p}`williams2018`. A small trial, and the finding fits an endogenous-opioid
  requirement as well as a direct opioid action. **Contested.**

None of these excludes the others, and Chapter 1's occupancy estimates apply to all of them: at the
antidepressant peak about half the NMDA receptors are occupied (computed in Chapter 1), so any downstream
cascade starts from a partial block.
""")
code(r"""
SelfCheck(
    "Which mechanism hypothesis has been tested directly in depressed patients, with a result that went against it?",
    [
        "Lateral habenula burst firing",
        "BDNF–mTORC1 synaptogenesis",
        "eEF2 kinase and rapid BDNF translation",
        "Disinhibition of pyramidal neurons",
    ],
    1,
    "Pretreatment with the mTORC1 inhibitor rapamycin did not block ketamine's 24-hour effect in 20 patients and appeared to prolong it (Abdallah 2020); the rodent experiments had found the opposite.",
    feedback=[
        "The habenula hypothesis rests on rodent recordings and manipulations; it has not been tested in patients.",
        "",
        "The eEF2 evidence is from mice only.",
        "Evidence in people is indirect (EEG gamma power), not a test that could refute it.",
    ],
)
""", "remove-input")
md(r"""
:::{exercise} Designing a human test
:label: ch3-ex-mechanism

Pick one hypothesis whose evidence is animal only (eEF2, lateral habenula or disinhibition). Design
the smallest human study that could **refute** it: what would you measure or block, in whom, when,
and what result would count against the hypothesis? Name one practical or ethical obstacle and one
way the result could mislead you.
:::
""")
md(r"""
:::{solution} ch3-ex-mechanism
:class: dropdown

One possible answer, for **disinhibition**: the hypothesis predicts a transient rise in pyramidal
activity and glutamate release in prefrontal cortex during the infusion, and that the size of that
rise predicts the antidepressant response at day 1. A study could record EEG gamma power (and, in a
subset, glutamate by magnetic resonance spectroscopy) during 0.5 mg/kg infusions in patients and ask
whether the rise predicts day-1 response; a refuting result would be a clear antidepressant response
in patients with no measurable rise, or no relation at all in an adequately powered sample (use the
trial simulator's logic to size it). Obstacles: the measures are indirect and noisy, and scanning
during dissociation is demanding for patients. It could mislead because a correlation between the
acute brain response and the outcome could reflect the *experience* of the infusion (and expectancy)
rather than the mechanism: the same confound the midazolam and masked trials address.
:::
""", "solution")

# =============================================================================================
md(r"""
## Key points

- Treatment-resistant depression in trials means no satisfactory response to at least two adequate
  treatments in the current episode {cite:p}`fava2018`; results are reported on MADRS, HDRS or QIDS as
  score differences or as response and remission rates.
- A single 0.5 mg/kg infusion over 40 minutes improves depression within hours; the pooled effect
  peaks at day 1 (g −1.00) and is no longer detectable by days 10 to 12 {cite:p}`kishimoto2016`.
  Repeated infusions maintain it while they continue {cite:p}`singh2016,kryst2020`, and responders
  relapse within weeks of stopping {cite:p}`murrough2013b`.
- The comparator changes the answer: d = 1.8 against saline but 0.7 against midazolam, because the
  controls, not ketamine, differ {cite:p}`wilkinson2019`. A trial masked by anaesthesia was null
  {cite:p}`lii2023`. Functional unblinding is a real threat to every ketamine and esketamine trial.
- Effect sizes, NNTs and pooled estimates can be computed from the published numbers; check the
  comparator, the time point and shared control arms before pooling.
- Ketamine reduces suicidal thoughts quickly and briefly on rating scales
  {cite:p}`wilkinson2018,grunebaum2018,su2023`; esketamine's suicidality trials did not separate on
  the suicidality measure, and no trial has shown fewer suicide attempts {cite:p}`fu2020,ionescu2021`.
- Esketamine adds modestly to a new oral antidepressant (MADRS −4.0 at day 28 in TRANSFORM-2)
  {cite:p}`popova2019`, prevents relapse when continued {cite:p}`daly2019`, and beat quetiapine in an
  open-label trial {cite:p}`reif2023`; IV ketamine was non-inferior to ECT in an open-label trial
  {cite:p}`anand2023`.
- The mechanism is unresolved: the leading hypotheses rest mostly on rodent work, and the two tested
  in people (mTORC1 and opioids) gave contested results {cite:p}`abdallah2020rapamycin,williams2018`.
""")

nb = nbformat.v4.new_notebook(cells=cells)
nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
nb.metadata["language_info"] = {"name": "python"}
nbformat.write(nb, OUT)
print(f"wrote {OUT.relative_to(ROOT)} ({len(cells)} cells)")
