"""``binder/requirements.txt`` and the chapters' Colab install cells, generated from
``requirements.txt``, the one place versions are pinned.

Binder (repo2docker) installs only the kernel's share of the stack: the package's runtime
dependencies with what they pull in, and the JupyterLab pieces a learner's session needs. Which
packages those are is the list of names in ``binder/requirements.txt``; their versions always come
from ``requirements.txt``. After changing a pin, run ``python -m ketacourse_tools.pins`` (or
``make binder-pins``); ``tests/test_binder.py`` fails while the file is stale.

Colab has no Binder image: the first code cell of every chapter (tagged ``remove-cell``, so the
book hides it) installs the course package, from the branch the launch buttons open
(``repository.branch`` of ``_config.yml``, the branch whose notebooks Colab opened), together with
the exact versions CI tests: every package the course's runtime dependencies (``pyproject.toml``)
need, each at its ``requirements.txt`` version. Not pinned: the notebook kernel's own stack
(:data:`KERNEL_STACK`), which Colab provides and its kernel depends on. The same command
(``make binder-pins``) rewrites those cells; ``tests/test_binder.py`` fails while one is stale.

``python -m ketacourse_tools.pins --check`` exits 1 (and says which lines differ) instead of writing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .course import REPO

__all__ = ["pins", "binder_requirements", "runtime_closure", "colab_pins", "colab_cell_source",
           "update_colab_cells", "KERNEL_STACK", "COLAB_MARK"]

KERNEL_STACK = frozenset({"ipython", "ipykernel", "traitlets", "comm", "jupyter-client", "jupyter-core"})
"""The notebook kernel's own packages: every host (Colab, a hub, Binder) brings them with its kernel,
and Colab's kernel pins its own IPython, so the Colab cell neither pins nor follows them."""

COLAB_MARK = "# Colab only:"
"""The first line of a chapter's Colab install cell starts with this."""

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


def runtime_closure(root: Path | str | None = None) -> list[str]:
    """Canonical names of the packages the course package needs at run time: its
    ``pyproject.toml`` dependencies and theirs (as installed here, markers evaluated), without
    :data:`KERNEL_STACK` and what only that stack needs."""
    import tomllib
    from importlib.metadata import distribution

    from packaging.requirements import Requirement

    root = Path(root) if root is not None else REPO
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    todo = [Requirement(d).name for d in project["dependencies"]]
    seen: set[str] = set()
    while todo:
        name = _canonical(todo.pop())
        if name in seen or name in KERNEL_STACK:
            continue
        seen.add(name)
        for raw in distribution(name).requires or []:
            req = Requirement(raw)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return sorted(seen)


def colab_pins(root: Path | str | None = None) -> list[str]:
    """``name==version`` for every package of :func:`runtime_closure`, versions from ``requirements.txt``.

    Raises
    ------
    ValueError
        If a runtime package is not pinned in ``requirements.txt``.
    """
    root = Path(root) if root is not None else REPO
    project = pins((root / "requirements.txt").read_text(encoding="utf-8"))
    missing = [n for n in runtime_closure(root) if n not in project]
    if missing:
        raise ValueError(f"requirements.txt does not pin the runtime package(s) {missing}")
    return [f"{project[n][0]}=={project[n][1]}" for n in runtime_closure(root)]


def colab_cell_source(root: Path | str | None = None) -> str:
    """The source of every chapter's Colab install cell."""
    from .course import config, repository_url

    root = Path(root) if root is not None else REPO
    branch = config(root)["repository"]["branch"]
    package = f"ketacourse @ git+{repository_url(root)}@{branch}"
    args = " ".join(f'"{a}"' for a in (package, *colab_pins(root)))
    return (f"{COLAB_MARK} install the course package with the versions the course is tested with\n"
            "# (requirements.txt; this cell is written by `make binder-pins`). Locally, on Binder and on\n"
            "# JupyterHub the package is already installed and nothing happens. If Colab asks to restart the\n"
            "# session, restart it and run all cells again: the install runs once per session.\n"
            "import importlib.util, sys\n"
            'if "google.colab" in sys.modules and importlib.util.find_spec("ketacourse") is None:\n'
            f"    %pip install -q {args}")


def update_colab_cells(root: Path | str | None = None, *, write: bool = True) -> list[Path]:
    """Rewrite the Colab cell of every chapter of ``_toc.yml`` to :func:`colab_cell_source`; the
    chapters whose cell was (or, with ``write=False``, would be) changed. Only that cell's source
    changes.

    Raises
    ------
    ValueError
        If a chapter has no Colab cell, or more than one.
    """
    import nbformat

    from .course import chapters

    root = Path(root) if root is not None else REPO
    want = colab_cell_source(root)
    changed = []
    for ch in chapters(root):
        nb = nbformat.read(ch.path, as_version=4)
        cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(COLAB_MARK)]
        if len(cells) != 1:
            raise ValueError(f"{ch.path.name}: {len(cells)} Colab install cells (a code cell starting {COLAB_MARK!r}); want 1")
        if cells[0].source != want:
            changed.append(ch.path)
            if write:
                cells[0].source = want
                nbformat.write(nb, ch.path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the file is stale")
    args = parser.parse_args(argv)
    path = REPO / "binder" / "requirements.txt"
    want = binder_requirements(REPO)
    have = path.read_text(encoding="utf-8")
    if args.check:
        status = 0
        stale = sorted(set(want.splitlines()) ^ set(have.splitlines()))
        if stale:
            print("binder/requirements.txt is stale; run python -m ketacourse_tools.pins:\n" + "\n".join(stale))
            status = 1
        cells = update_colab_cells(REPO, write=False)
        if cells:
            print("Colab install cells are stale; run python -m ketacourse_tools.pins: " + ", ".join(p.name for p in cells))
            status = 1
        return status
    path.write_text(want, encoding="utf-8")
    print(path)
    for nb_path in update_colab_cells(REPO):
        print(nb_path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
