"""Binder / JupyterHub (repo2docker) configuration: pinned kernel stack, package installed once.

``repo2docker --no-build --debug`` renders the Dockerfile without a Docker engine, so the real
tool checks that it reads ``binder/`` as intended.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import escapism
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
R2D = Path(sys.executable).with_name("repo2docker")


def pins(path: Path) -> dict[str, str]:
    """``{canonical name: version}`` for every ``name==version`` line; fail on anything else."""
    out = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)", line)
        assert m, f"{path.relative_to(ROOT)}: not an exact pin: {raw!r}"
        name = canonicalize_name(m.group(1))
        assert name not in out, f"{path.relative_to(ROOT)}: {name} pinned twice"
        out[name] = m.group(2)
    return out


@pytest.fixture(scope="module")
def dockerfile(repo_root) -> tuple[str, str]:
    proc = subprocess.run(
        [str(R2D), "--no-build", "--debug", str(repo_root)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "FROM " in proc.stdout, "repo2docker printed no Dockerfile"
    return proc.stdout, proc.stderr


def test_runtime_is_python_3_11():
    assert (BINDER / "runtime.txt").read_text(encoding="utf-8").strip() == "python-3.11"


def test_binder_pins_equal_the_project_pins():
    binder, project = pins(BINDER / "requirements.txt"), pins(ROOT / "requirements.txt")
    assert binder, "binder/requirements.txt is empty"
    for name, version in binder.items():
        assert name in project, f"{name} is pinned for Binder but not in requirements.txt"
        assert version == project[name], f"{name}: binder {version} != requirements.txt {project[name]}"


def test_binder_requirements_have_no_local_references():
    for raw in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        assert not line.startswith(("-e", "--editable", "-r", "-c", ".", "/", "file:", "git+")), raw
        assert "file:" not in line and "@" not in line and not re.match(r"^\.\.?(/|$)", line), raw
        assert "ketacourse" not in line.lower(), "the package itself is installed by postBuild"


def test_binder_requirements_cover_the_runtime_dependencies():
    binder = pins(BINDER / "requirements.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = [Requirement(d) for d in project["dependencies"]]
    assert deps
    for req in deps:
        name = canonicalize_name(req.name)
        assert name in binder, f"runtime dependency {req.name} is missing from binder/requirements.txt"
        assert req.specifier.contains(binder[name], prereleases=True), f"{name}=={binder[name]} violates {req}"
    for name in ("jupyterlab", "ipywidgets", "ipykernel"):
        assert name in binder, f"{name} is missing from binder/requirements.txt"


def test_postbuild_is_executable_and_installs_the_package_without_dependencies():
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!"), "postBuild needs a shebang"
    commands = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    installs = [c for c in commands if re.search(r"\bpip install\b", c)]
    assert len(installs) == 1, installs
    assert "--no-deps" in installs[0].split()
    assert installs[0].split()[-1] == ".", "postBuild installs the repository's package"
    assert "-e" not in installs[0].split() and "--editable" not in installs[0]
    assert "set -euo pipefail" in text or "set -e" in text, "a failed install must fail the build"


def test_repo2docker_reads_binder_folder(dockerfile):
    text, log = dockerfile
    assert re.search(r"^RUN \$\{KERNEL_PYTHON_PREFIX\}/bin/pip install --no-cache-dir -r \"binder/requirements.txt\"$",
                     text, re.MULTILINE), "the Dockerfile must install binder/requirements.txt"
    assert re.search(r"^COPY .*src/binder/requirements\.txt \$\{REPO_DIR\}/binder/requirements\.txt$", text,
                     re.MULTILINE), "binder/requirements.txt is copied before the repository (cached layer)"
    assert re.search(r"^RUN \./binder/postBuild$", text, re.MULTILINE), "the Dockerfile must run binder/postBuild"
    assert text.index('-r "binder/requirements.txt"') < text.index("./binder/postBuild")
    # the root requirements.txt (the full development stack) is not what Binder installs
    assert '-r "requirements.txt"' not in text
    # Python 3.11: the conda environment lock file is chosen for 3.11
    # build-script files are named <escaped source path>-<6-hex hash>
    copied = [escapism.unescape(m.rsplit("-", 1)[0], escape_char="-") for m in re.findall(r"build_script_files/(\S+)", text)]
    assert any("environment.py-3.11-" in name for name in copied), copied
    assert "python=3.11" in log


@pytest.mark.filterwarnings("ignore:pythonjsonlogger.jsonlogger has been moved:DeprecationWarning")
def test_repo2docker_python_buildpack_api_agrees(monkeypatch):
    from repo2docker.buildpacks import PythonBuildPack

    monkeypatch.chdir(ROOT)
    bp = PythonBuildPack(base_image="docker.io/library/buildpack-deps:jammy")
    bp.platform = "linux/amd64"  # what the repo2docker app sets before rendering
    assert bp.detect()
    assert bp.binder_dir == "binder"
    assert bp.python_version == "3.11"
    rendered = bp.render()
    assert '-r "binder/requirements.txt"' in rendered
    assert "./binder/postBuild" in rendered


def test_binder_pins_are_generated_from_the_project_pins(tmp_path):
    """binder/requirements.txt is what `python -m ketacourse_tools.pins` writes from requirements.txt;
    a changed pin shows up there after one command (and this test fails until it is run)."""
    from ketacourse_tools.pins import binder_requirements

    assert binder_requirements(ROOT) == (BINDER / "requirements.txt").read_text(encoding="utf-8")
    (tmp_path / "binder").mkdir()
    project = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    numpy = pins(ROOT / "requirements.txt")["numpy"]
    (tmp_path / "requirements.txt").write_text(project.replace(f"numpy=={numpy}", "numpy==9.9.9"))
    (tmp_path / "binder" / "requirements.txt").write_text((BINDER / "requirements.txt").read_text())
    assert "numpy==9.9.9\n" in binder_requirements(tmp_path)
    (tmp_path / "binder" / "requirements.txt").write_text("not-a-pinned-project==1.0\n")
    with pytest.raises(ValueError, match="not-a-pinned-project"):
        binder_requirements(tmp_path)


# ----------------------------------------------------------------------------- Colab install cells
def _colab_cells():
    import nbformat

    from ketacourse_tools.course import chapters
    from ketacourse_tools.pins import COLAB_MARK

    for ch in chapters(ROOT):
        nb = nbformat.read(ch.path, as_version=4)
        cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(COLAB_MARK)]
        yield ch, cells


def test_every_chapter_has_one_colab_cell_first_among_its_code_and_hidden_in_the_book():
    import nbformat

    n = 0
    for ch, cells in _colab_cells():
        assert len(cells) == 1, f"{ch.stem}: {len(cells)} Colab install cells"
        nb = nbformat.read(ch.path, as_version=4)
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert first_code.get("id") == cells[0].get("id"), f"{ch.stem}: the Colab install cell must be the first code cell"
        assert "remove-cell" in cells[0].metadata.get("tags", [])
        n += 1
    assert n >= 7


def test_colab_cells_install_the_tested_set_from_requirements_txt():
    """The Colab cell pins the course package to the launch buttons' branch of the configured
    repository and every runtime package to its requirements.txt version (what CI tests)."""
    from ketacourse_tools.course import config, repository_url
    from ketacourse_tools.pins import KERNEL_STACK, colab_cell_source

    project = pins(ROOT / "requirements.txt")
    deps = [Requirement(d) for d in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]]
    want_pkg = f"ketacourse @ git+{repository_url(ROOT)}@{config(ROOT)['repository']['branch']}"
    for ch, (cell,) in _colab_cells():
        assert cell.source == colab_cell_source(ROOT), f"{ch.stem}: stale Colab cell; run `make binder-pins`"
        pip_lines = [ln for ln in cell.source.splitlines() if "%pip install" in ln]
        assert len(pip_lines) == 1
        args = re.findall(r'"([^"]+)"', pip_lines[0])
        assert args[0] == want_pkg
        pinned = {}
        for arg in args[1:]:
            name, version = arg.split("==")
            pinned[canonicalize_name(name)] = version
            assert project.get(canonicalize_name(name)) == version, f"{ch.stem}: {arg} is not requirements.txt's pin"
        for req in deps:
            assert canonicalize_name(req.name) in pinned, f"{ch.stem}: runtime dependency {req.name} is not pinned"
        assert not set(pinned) & KERNEL_STACK, "Colab's own kernel stack is left alone"
        assert "google.colab" in cell.source and 'find_spec("ketacourse") is None' in cell.source


def test_colab_cell_follows_a_changed_pin(tmp_path):
    from ketacourse_tools.pins import colab_cell_source

    for name in ("requirements.txt", "pyproject.toml", "_config.yml"):
        (tmp_path / name).write_text((ROOT / name).read_text(encoding="utf-8"), encoding="utf-8")
    numpy = pins(ROOT / "requirements.txt")["numpy"]
    req = tmp_path / "requirements.txt"
    req.write_text(req.read_text().replace(f"numpy=={numpy}", "numpy==9.9.9"))
    assert '"numpy==9.9.9"' in colab_cell_source(tmp_path)
    req.write_text("\n".join(ln for ln in req.read_text().splitlines() if not ln.startswith("scipy==")) + "\n")
    with pytest.raises(ValueError, match="scipy"):
        colab_cell_source(tmp_path)
