"""ketacourse: models and widgets for an open course on the pharmacology of ketamine.

Modules
-------
units       molar masses, ng/mL <-> µmol/L, salt <-> base doses
receptor    NMDA receptor occupancy (Hill-Langmuir) for ketamine, its enantiomers and metabolites
channel     Mg2+ block, current-voltage relations and the open-channel trapping-block model
pk          compartmental pharmacokinetics, routes and regimens
exercises   answer checks with immediate feedback for the chapter notebooks
agreement   each model against its reference (the book's Model validation appendix and its tests)
widgets     interactive figures (live in JupyterLab, static and scrubbable in the book)

Everything here is for education. Model outputs are illustrations for a stated typical
patient, not dosing advice.
"""

__version__ = "0.1.0"
