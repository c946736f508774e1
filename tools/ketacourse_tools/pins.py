"""``binder/requirements.txt`` generated from ``requirements.txt``, the one place versions are pinned.

Binder (repo2docker) installs only the kernel's share of the stack: the package's runtime
dependencies with what they pull in, and the JupyterLab pieces a learner's session needs. Which
packages those are is the list of names in ``binder/requirements.txt``; their versions always come
from ``requirements.txt``. After changing a pin, run ``python -m ketacourse_tools.pins`` (or
``make binder-pins``); ``tests/test_binder.py`` fails while the file is stale.

``python -m ketacourse_tools.pins --check`` exits 1 (and says which lines differ) instead of writing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .course import REPO

__all__ = ["pins", "binder_requirements"]

_PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, tuple[str, str]]:
    """``{canonical name: (name as written, version)}`` of the ``name==version`` lines of ``text``."""
    out = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        m = _PIN.fullmatch(line)
        if m:
            out[_canonical(m.group(1))] = (m.group(1), m.group(2))
    return out


def binder_requirements(root: Path | str | None = None) -> str:
    """The text ``binder/requirements.txt`` must have: its own names, in its order, each pinned to
    the version in ``requirements.txt``.

    Raises
    ------
    ValueError
        If a name in ``binder/requirements.txt`` is not pinned in ``requirements.txt``.
    """
    root = Path(root) if root is not None else REPO
    project = pins((root / "requirements.txt").read_text(encoding="utf-8"))
    lines = []
    for raw in (root / "binder" / "requirements.txt").read_text(encoding="utf-8").splitlines():
        m = _PIN.fullmatch(raw.split("#", 1)[0].strip())
        if not m:
            lines.append(raw)
            continue
        key = _canonical(m.group(1))
        if key not in project:
            raise ValueError(f"binder/requirements.txt names {m.group(1)}, which requirements.txt does not pin")
        lines.append(f"{m.group(1)}=={project[key][1]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the file is stale")
    args = parser.parse_args(argv)
    path = REPO / "binder" / "requirements.txt"
    want = binder_requirements(REPO)
    have = path.read_text(encoding="utf-8")
    if args.check:
        stale = sorted(set(want.splitlines()) ^ set(have.splitlines()))
        if stale:
            print("binder/requirements.txt is stale; run python -m ketacourse_tools.pins:\n" + "\n".join(stale))
            return 1
        return 0
    path.write_text(want, encoding="utf-8")
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
