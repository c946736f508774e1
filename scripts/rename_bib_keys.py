"""Rename every bibliography key that is not author + year, in ``chapters/references.bib`` and
wherever the repository uses it (issue 23, citations in JupyterLab). Idempotent: a second run
changes nothing.

    python scripts/rename_bib_keys.py            # rewrite the files, print what changed
    python scripts/rename_bib_keys.py --check    # exit 1 if any file still uses an old key

Why: jupyterlab-myst cannot read the .bib, so in JupyterLab a ``{cite:p}`key``` role shows its key;
``scripts/lab-custom/custom.css`` turns an author + year key into "(Domino1965)"-style text. A key
such as ``spravato_label`` read as a raw identifier ("(Spravato_label)").

The key shape (``tests/test_bib_keys.py``, ``KEY_SHAPE`` below): lower-case letters (the first
author's family name, or the author organisation's name or acronym), then the four-digit year of the
entry's own ``year`` field, then an optional one-letter suffix that tells apart two entries with the
same name and year (``murrough2013``, ``murrough2013b``). An entry with no year (none was seen)
has ``nd`` ("no date") instead of the year. Every new key below is derived from the entry's own
author (or, for an entry with no author, the organisation its ``howpublished`` names) and year;
the test checks that derivation against the bib for every key.

Where a key is rewritten: every tracked text file (notebooks, chapters/*.md, the data TOML files,
src, docs, tests, tools, scripts), except this script. A key is replaced as a whole token: not
inside a longer identifier (``test_spravato_label_tmax`` stays), a URL or a file name
(``talktofrank.com`` stays). ``opentiva`` is also the name of a Python package the course compares
its solver with, so it is replaced only where it is a key: inside a ``{cite}`` role, as the bib
entry's key, as the exact quoted string ``"opentiva"`` (a ``source``; not a figure's
``label="opentiva"``) and alone in parentheses, "(opentiva)" or "(opentiva; ...".

The coordinator re-runs this script after merging other branches that still cite the old keys.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIB = REPO / "chapters" / "references.bib"

#: lower-case name, four-digit year (or ``nd``: the entry has no year), optional one-letter suffix.
KEY_SHAPE = re.compile(r"^(?P<name>[a-z]+)(?P<year>[0-9]{4}|nd)(?P<suffix>[a-z]?)$")

#: old key -> new key, with where its name and year come from in the entry.
MAPPING: dict[str, str] = {
    "spravato_label": "janssen2025",              # author {Janssen Pharmaceuticals}; year 2025, the January 2025 revision the note cites
    "ketalar_label": "parnd",                      # author {Par Pharmaceutical}; no year seen
    "kotermanski2009trapping": "kotermanski2009b",  # Kotermanski 2009 (kotermanski2009 exists)
    "abdallah2020rapamycin": "abdallah2020b",      # Abdallah 2020 (abdallah2020 exists)
    "prommer_fastfact132": "prommernd",            # Prommer; "Year not seen"
    "sigtermans2009pkpd": "sigtermans2009b",       # Sigtermans 2009 (sigtermans2009 exists)
    "falk2022mds": "falk2022",                     # Falk 2022
    "ketabid_nct05095857": "clinicaltrials2023a",  # no author; howpublished ClinicalTrials.gov registration, 2023
    "questketa_nct03223220": "clinicaltrials2023b",  # no author; howpublished ClinicalTrials.gov registration, 2023
    "auvelity_fda2022": "middleton2022",           # Middleton 2022
    "fava2024esmethadone": "fava2024",             # Fava 2024
    "jnj_spravato_dissociation": "janssen2024",    # author {Janssen Medical Information} 2024
    "fda_dsc2016": "fda2016",                      # author {US Food and Drug Administration} 2016
    "higgins2024ch23": "higgins2024",              # Higgins 2024
    "murrough2013apa": "murrough2013c",            # Murrough 2013 (murrough2013, murrough2013b exist)
    "canady2020mdsi": "canady2020",                # Canady 2020
    "canady2025mono": "canady2025",                # Canady 2025
    "sanacora2017consensus": "sanacora2017b",      # Sanacora 2017 (sanacora2017 exists)
    "zaki2025sustain3": "zaki2025",                # Zaki 2025
    "andreasen2025ketabid": "andreasen2025",       # Andreasen 2025
    "pcn101_topline2023": "atai2023",              # author {atai Life Sciences and Perception Neuroscience} 2023
    "arketamine_pilot_bvs": "leal2023",            # Leal 2023
    "relmada_reliance3_2022": "relmada2022",       # author {Relmada Therapeutics} 2022
    "relmada_licence2025": "fiercebiotech2025",    # no author; howpublished Fierce Biotech report, 2025
    "spravato_rems2024": "fda2024",                # author {U.S. Food and Drug Administration} 2024
    "crisis_988": "canadianpress2023",             # no author; howpublished Canadian Press report, 2023
    "shelton2025onfasprodil": "shelton2025",       # Shelton 2025
    "samhsa_helpline": "samhsa2026",               # author {Substance Abuse and Mental Health Services Administration} 2026
    "talktofrank": "frank2026",                    # author {FRANK} 2026
    "nct06511908": "nimh2024",                     # author {National Institute of Mental Health} 2024
    "zhang2021ketamine": "zhang2021",              # Zhang 2021
    "peltoniemi2012rifampicin": "peltoniemi2012",  # Peltoniemi 2012
    "opentiva": "selby2023",                       # author Selby, James; 2023
    "rapastinel2019": "psychiatricnews2019",       # no author (named after the drug); howpublished Psychiatric News, 2019
    "fava2018": "fava2020",                        # Fava; year field 2020 (issue year; online 2018), as the book prints it
}

#: keys that are also ordinary words in the repository: replaced only where they are keys.
CONTEXT_ONLY = frozenset({"opentiva"})

SUFFIXES = {".ipynb", ".md", ".toml", ".py", ".bib", ".txt", ".yml", ".yaml", ".cfg", ".json", ".rst",
            ".html", ".css", ".csv", ".tex"}
SELF = Path(__file__).resolve()
_CITE_ROLE = re.compile(r"(\{cite(?::\w+)?\}`)([^`]*)(`)")
_BIB_HEAD = re.compile(r"(@\w+\{)([^,\s]+)(,)")
# a whole token: no word character, slash or hyphen before; no word character, slash or
# hyphen after, and no dot followed by a word character (a file name or URL).
_TOKEN = r"(?<![\w/\-]){key}(?![\w/\-]|\.\w)"


_GENERAL = re.compile(_TOKEN.format(key="(" + "|".join(
    re.escape(k) for k in sorted(set(MAPPING) - CONTEXT_ONLY, key=len, reverse=True)) + ")"))


def _rename_in_keys(text: str) -> str:
    """Rename each key of a comma- or semicolon-separated key list (a cite role's content)."""
    return re.sub(r"[^\s,;]+", lambda m: MAPPING.get(m.group(0), m.group(0)), text)


def rename(text: str) -> str:
    """``text`` with every old key replaced by its new key (a no-op on already renamed text)."""
    text = _CITE_ROLE.sub(lambda m: m.group(1) + _rename_in_keys(m.group(2)) + m.group(3), text)
    text = _BIB_HEAD.sub(lambda m: m.group(1) + MAPPING.get(m.group(2), m.group(2)) + m.group(3), text)
    text = _GENERAL.sub(lambda m: MAPPING[m.group(1)], text)
    for old in CONTEXT_ONLY:
        new = MAPPING[old]
        text = re.sub(rf'(?<!label=)"{re.escape(old)}"', f'"{new}"', text)
        text = re.sub(rf"(?<=\(){re.escape(old)}(?=[);])", new, text)
    return text


def tracked_files(repo: Path = REPO) -> list[Path]:
    """The repository's tracked text files this script rewrites (not itself)."""
    out = subprocess.run(["git", "ls-files", "-z"], cwd=repo, check=True, capture_output=True).stdout
    paths = [repo / p for p in out.decode().split("\0") if p]
    return [p for p in paths if p.suffix in SUFFIXES and p.resolve() != SELF and p.is_file()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if an old key is still used")
    args = parser.parse_args(argv)
    changed = []
    for path in tracked_files():
        text = path.read_text(encoding="utf-8")
        new = rename(text)
        if new != text:
            changed.append(path.relative_to(REPO).as_posix())
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "still use old keys" if args.check else "rewritten"
    print(f"{len(changed)} file(s) {verb}" + "".join(f"\n  {p}" for p in changed))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
