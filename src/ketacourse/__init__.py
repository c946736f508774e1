"""ketacourse: models and widgets for an open course on the pharmacology of ketamine.

Layers (lowest first; a module imports only its own layer and those below; docs/architecture.md)
-------
foundation   validation (argument checks), units (molar masses, salt <-> base), data (sourced TOML tables)
models       receptor (occupancy), channel (Mg2+ and trapping block), pk (compartments, routes, regimens,
             population, TCI), pd (concentration-effect), evidence (trials, effect sizes, meta-analysis),
             circuits (wind-up neuron, E-I network), safety, translation (species dose scaling),
             derivatives (related molecules), tables, course (the disclaimer), currency (dated facts)
agreement    each model against its reference (the book's Model validation appendix and its tests)
presentation widgets (interactive figures, live in JupyterLab, scrubbable in the book),
             exercises (the check engine and SelfCheck), checks (each chapter's registered checks)

The course-building tools (student versions, assignments, the pack, Sphinx extensions) are a
separate package, ``ketacourse_tools`` in ``tools/``, which learners do not install.

Everything here is for education. Model outputs are illustrations for a stated typical
patient, not dosing advice.
"""

__version__ = "0.1.0"
