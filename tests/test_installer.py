"""tools/ketacourse_tools/installer.py: uv installs when it can be had, pip otherwise, with the same meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketacourse_tools import installer


def _venv(tmp_path: Path, with_pip: bool = True) -> Path:
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    python = tmp_path / "venv" / "bin" / "python"
    python.write_text("")
    if with_pip:
        (tmp_path / "venv" / "bin" / "pip").write_text("")
    return python


def test_uv_installs_exact_pins_without_resolution(tmp_path):
    python, calls = _venv(tmp_path), []
    used = installer.install(python, ["-r", "requirements.txt", "-e", "."], runner=lambda c, t: calls.append(c),
                             uv=lambda: Path("/x/uv"))
    assert used == "uv" and len(calls) == 1
    cmd = calls[0]
    assert cmd[:3] == ["/x/uv", "pip", "install"] and "--no-deps" in cmd and cmd[-4:] == ["-r", "requirements.txt", "-e", "."]
    assert cmd[cmd.index("--python") + 1] == str(python) and "--only-binary" not in cmd


@pytest.mark.parametrize("uv_works", [False, None], ids=["uv-fails", "no-uv"])
def test_pip_installs_the_same_when_uv_fails_or_is_missing(tmp_path, uv_works):
    python, calls = _venv(tmp_path), []

    def runner(cmd, timeout_s):
        calls.append(cmd)
        if cmd[0] == "/x/uv":
            raise installer.InstallError("no index")

    used = installer.install(python, ["-r", "pins.txt"], only_binary=True, runner=runner,
                             uv=(lambda: Path("/x/uv")) if uv_works is False else (lambda: None))
    assert used == "pip"
    pip = calls[-1]
    assert pip[:3] == [str(python), "-m", "pip"], "the venv's own pip"
    assert "--no-deps" in pip and "--no-compile" in pip and pip[-2:] == ["-r", "pins.txt"]
    assert pip[pip.index("--only-binary") + 1] == ":all:"
    assert len(calls) == (2 if uv_works is False else 1)
    assert ("--force-reinstall" in pip) == (uv_works is False), "after a failed uv run pip installs everything again"


def test_a_venv_without_pip_gets_this_pythons_pip(tmp_path):
    python, calls = _venv(tmp_path, with_pip=False), []
    installer.install(python, ["-r", "pins.txt"], runner=lambda c, t: calls.append(c), uv=lambda: None)
    assert calls[0][1:5] == ["-m", "pip", "--python", str(python)]


def test_pip_failing_too_raises(tmp_path):
    python = _venv(tmp_path)

    def runner(cmd, timeout_s):
        raise installer.InstallError(f"{cmd[0]} failed")

    with pytest.raises(installer.InstallError, match="failed"):
        installer.install(python, ["-r", "pins.txt"], runner=runner, uv=lambda: Path("/x/uv"))


def test_uv_is_installed_once_outside_the_venv_and_reused_while_its_pin_is_unchanged(tmp_path):
    uv_file, uv_dir, calls = tmp_path / "requirements-uv.txt", tmp_path / "build" / "uv", []
    uv_file.write_text("uv==0.13.10\n")

    def runner(cmd, timeout_s):
        calls.append(cmd)
        (uv_dir / "bin").mkdir(parents=True, exist_ok=True)
        (uv_dir / "bin" / "uv").write_text("")

    pip = ["python", "-m", "pip"]
    assert installer.uv_binary(pip, runner, uv_dir, uv_file) == uv_dir / "bin" / "uv"
    assert calls[0][calls[0].index("--target") + 1] == str(uv_dir) and str(uv_file) in calls[0]
    assert installer.uv_binary(pip, runner, uv_dir, uv_file) == uv_dir / "bin" / "uv" and len(calls) == 1
    uv_file.write_text("uv==0.13.11\n")
    installer.uv_binary(pip, runner, uv_dir, uv_file)
    assert len(calls) == 2, "a changed pin installs uv again"


def test_uv_that_cannot_be_installed_means_pip(tmp_path, capsys):
    uv_file = tmp_path / "requirements-uv.txt"
    uv_file.write_text("uv==0.13.10\n")

    def runner(cmd, timeout_s):
        raise installer.InstallError("no wheel for this machine")

    assert installer.uv_binary(["python", "-m", "pip"], runner, tmp_path / "uv", uv_file) is None
    assert "pip installs instead" in capsys.readouterr().err


def test_the_pin_file_pins_uv_exactly():
    lines = [ln for ln in installer.UV_FILE.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 1 and lines[0].startswith("uv==")
