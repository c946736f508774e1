"""The student release: what a ``student`` branch holds, for nbgitpuller links and launch buttons.

``python -m ketacourse_tools.assignments release --out build/release [--tag v2026.1]`` (``make release``)
writes ``build/release/`` as a git repository on branch ``student`` (one commit; with a tag, also
tagged ``<tag>-student`` and copied to a branch ``student-<tag>`` that pinned nbgitpuller links
follow, since nbgitpuller pulls branches) holding:

- the course package (``src/``, ``pyproject.toml``) and ``binder/``, so Binder, Colab and a hub
  install it as they do from ``main``; ``binder/requirements.txt`` gains the otter-grader pins
  because the assignment notebooks call ``grader.check`` (the main branch's Binder image does not
  need them);
- ``chapters/`` with every chapter notebook replaced by its student version (no solutions) at the
  same path, and ``_config.yml`` pointing the launch buttons at the ``student`` branch;
- ``assignments/chNN/`` for each written chapter: the student notebook with ``grader.check``
  cells and its public tests (never the autograder or the solutions);
- ``RELEASE.md``: the tag, the source commit and the nbgitpuller links.

The instructor publishes it with ``git -C build/release push --force <remote> student`` (and
``git -C build/release push <remote> <tag>-student``); see the instructors page.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..student import STUDENT_BRANCH, make_student_book
from . import chapter_notebooks
from ..course import repository_url

__all__ = ["make_release", "nbgitpuller_link", "RELEASE_FILES"]

RELEASE_FILES = ("src", "pyproject.toml", "binder", "scripts", "Makefile", "README.md", "LICENSE",
                 "LICENSE-CONTENT.md", "requirements.txt", ".gitignore")
"""Copied from the repository as they are (besides the book sources and the assignments)."""

REPO_URL = repository_url()
"""The course repository, ``repository.url`` of ``_config.yml``."""


def nbgitpuller_link(hub_url: str, path: str, branch: str = STUDENT_BRANCH, repo_url: str = REPO_URL) -> str:
    """The nbgitpuller link that opens ``path`` (e.g. ``chapters/02-pharmacokinetics.ipynb``) from
    ``branch`` of ``repo_url`` on the JupyterHub at ``hub_url``, in JupyterLab."""
    from urllib.parse import quote

    name = repo_url.rstrip("/").rsplit("/", 1)[-1]
    return (f"{hub_url.rstrip('/')}/hub/user-redirect/git-pull?repo={quote(repo_url, safe='')}"
            f"&branch={quote(branch, safe='')}&urlpath={quote(f'lab/tree/{name}/{path}', safe='')}")


def release_checks(checks_dir: Path, salt: str | None = None) -> Path:
    """Replace the copied ``checks/`` package by an empty one holding ``targets.json`` (hashed
    practice targets, :mod:`ketacourse.hashed_checks`). Returns the targets file."""
    import json
    import secrets

    from ketacourse import exercises
    from ketacourse.hashed_checks import targets_of

    exercises.registered()
    registry = {k: exercises.get(k) for k in exercises.registered()
                if type(exercises.get(k)).__module__ == "ketacourse.exercises"}
    shutil.rmtree(checks_dir)
    checks_dir.mkdir()
    (checks_dir / "__init__.py").write_text('"""Hashed practice targets (the student release holds no answer-computing '
                                            'module; see ketacourse.hashed_checks)."""\n', encoding="utf-8")
    path = checks_dir / "targets.json"
    path.write_text(json.dumps(targets_of(registry, salt or secrets.token_hex(16)), ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _repository_url(repo_dir: Path) -> str:
    """The course repository (or fork) named in ``_config.yml`` (the one source of that URL)."""
    import yaml

    config = yaml.safe_load((Path(repo_dir) / "_config.yml").read_text(encoding="utf-8")) or {}
    return str((config.get("repository") or {}).get("url") or REPO_URL)


def make_release(repo_dir: Path, out_dir: Path, *, tag: str | None = None, assignments: bool = True,
                 seed: int | None = None) -> Path:
    """Write the student release to ``out_dir`` (replaced if it exists) and commit it on branch
    ``student``, tagged ``<tag>-student`` if ``tag`` is given. Returns ``out_dir``. ``seed`` builds
    the assignments' student folders as that variant (the one ``make assignment SEED=`` graded);
    the nbgitpuller links point at the repository in ``_config.yml`` (a fork's own) and, with a
    tag, at the pinned branch ``student-<tag>``."""
    from .build import make_assignment

    repo_dir, out_dir = Path(repo_dir).resolve(), Path(out_dir)
    if tag is not None and not tag.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"tag must be letters, digits, '.', '-' or '_' (e.g. v2026.1); got {tag!r}")
    make_student_book(repo_dir, out_dir, branch=STUDENT_BRANCH)  # chapters/, _config.yml, _toc.yml
    for name in RELEASE_FILES:
        src = repo_dir / name
        if src.is_dir():
            shutil.copytree(src, out_dir / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif src.exists():
            shutil.copy2(src, out_dir / name)
    # No module that computes the answers: the checks become hashed targets (practice still works).
    release_checks(out_dir / "src" / "ketacourse" / "checks")
    project = out_dir / "pyproject.toml"
    if project.exists() and "checks/targets.json" not in project.read_text(encoding="utf-8"):
        import re

        text = re.sub(r'^(ketacourse\s*=\s*\[)', r'\1"checks/targets.json", ', project.read_text(encoding="utf-8"),
                      count=1, flags=re.MULTILINE)
        project.write_text(text, encoding="utf-8")
    # The assignment notebooks call grader.check: the student image needs otter-grader.
    pins = {line.split("==")[0].lower(): line for line in (repo_dir / "requirements.txt").read_text().split()}
    binder_req = out_dir / "binder" / "requirements.txt"
    lines = binder_req.read_text(encoding="utf-8").split()
    names = {line.split("==")[0].lower() for line in lines}
    extra = ["annotated-types", "dill", "fica", "ipylab", "jupytext", "otter-grader", "pandas", "pydantic",
             "pydantic_core", "python-frontmatter", "python-on-whales", "typing-inspection", "wrapt"]
    lines += [pins[n] for n in extra if n in pins and n not in names]
    binder_req.write_text("\n".join(sorted(lines, key=str.lower)) + "\n", encoding="utf-8")

    chapters = []
    if assignments:
        for path in chapter_notebooks(repo_dir):
            number = int(path.name[:2])
            try:
                built = make_assignment(repo_dir, number, out_dir / "build-tmp" / f"ch{number:02d}",
                                        ref=f"{tag}-student" if tag else STUDENT_BRANCH, zip_autograder=False,
                                        seed=seed)
            except ValueError:
                continue  # a chapter without graded questions has no assignment
            shutil.copytree(built / "student", out_dir / "assignments" / f"ch{number:02d}")
            chapters.append((number, path.name))
        shutil.rmtree(out_dir / "build-tmp", ignore_errors=True)

    try:
        source = _git(repo_dir, "rev-parse", "--short", "HEAD")
    except RuntimeError:
        source = "unknown"
    hub = "https://<your-hub>"
    url = _repository_url(repo_dir)
    branch = f"{STUDENT_BRANCH}-{tag}" if tag else STUDENT_BRANCH
    lines = [f"# ketacourse student release{f' {tag}' if tag else ''}", "",
             f"Made by `make release` from commit {source}. Student notebooks only: no solutions, no "
             "autograder.", "", "## nbgitpuller links (replace <your-hub>)", ""]
    for path in chapter_notebooks(repo_dir):
        lines.append(f"- {path.stem}: {nbgitpuller_link(hub, f'chapters/{path.name}', branch=branch, repo_url=url)}")
    for number, name in chapters:
        lines.append(f"- assignment {number}: "
                     f"{nbgitpuller_link(hub, f'assignments/ch{number:02d}/{name}', branch=branch, repo_url=url)}")
    if tag:
        lines += ["", f"The links follow the pinned branch `{STUDENT_BRANCH}-{tag}` (push it with the tag "
                  f"`{tag}-student`, which records the release; nbgitpuller follows branches). For the moving "
                  f"branch use `branch={STUDENT_BRANCH}`."]
    if seed is not None:
        lines += ["", f"The assignments are variant {seed}: grade them with the autograder of "
                  f"`make assignment CHAPTER=N SEED={seed}`."]
    (out_dir / "RELEASE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

    _git(out_dir, "init", "-q", "-b", STUDENT_BRANCH)
    _git(out_dir, "add", "-A")
    _git(out_dir, "-c", "user.name=ketacourse release", "-c", "user.email=release@ketacourse.invalid",
         "commit", "-q", "-m", f"Student release{f' {tag}' if tag else ''} (from {source})")
    if tag:
        _git(out_dir, "tag", f"{tag}-student")  # the record of what a class was given
        _git(out_dir, "branch", f"{STUDENT_BRANCH}-{tag}")  # what a pinned nbgitpuller link follows
    return out_dir
