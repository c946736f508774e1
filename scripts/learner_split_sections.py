"""Split sections too long for one sitting (issue 22, item 2): idempotent, markdown only.

    python scripts/learner_split_sections.py

Chapter 1 "Enantiomers, metabolites and occupancy ..." (about 80 min) becomes "Enantiomers,
metabolites, salt and base" and "Occupancy at clinical concentrations"; Chapter 2 "From
concentration to effect" (about 70 min) is split before "Hysteresis". Run
``python -m ketacourse_tools.timing --write`` afterwards to give the new sections their times.
"""
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1] / "chapters"
EDITS = {
    "01-nmda-receptor.ipynb": [
        ("## Enantiomers, metabolites and occupancy at clinical concentrations", "## Enantiomers, metabolites, salt and base"),
        ("### Occupancy at the clinical concentration bands", "## Occupancy at clinical concentrations\n\n*About 40 minutes.*\n\n### The clinical concentration bands"),
    ],
    "02-pharmacokinetics.ipynb": [
        ("### Hysteresis: the effect lags the concentration", "## Hysteresis: the effect lags the concentration\n\n*About 30 minutes.*"),
        (" (about 90 minutes without the last section, *From concentration to effect*)", ""),
    ],
}

for name, edits in EDITS.items():
    path = ROOT / name
    nb = nbformat.read(path, as_version=4)
    changed = False
    for old, new in edits:
        for cell in nb.cells:
            if cell.cell_type == "markdown" and old in cell.source and new not in cell.source:
                cell.source = cell.source.replace(old, new, 1)
                changed = True
    if changed:
        nbformat.write(nb, path)
        print(f"{name}: split")
