"""The grader's sandbox backends (``make grade BACKEND=auto|bwrap|podman|docker``): the choice, and the
container command line each engine gets.

The command line is checked here for both engines. Whether it really isolates is checked by the
red-team suite (``tests/test_grading_redteam.py``), which runs every attack under every backend that
works on the machine: bubblewrap always, Podman where it is installed (``make test-grading-podman``
installs it and requires it). No Docker Engine runs on the course's CI machine, so for Docker only
the command line below is tested (the same flags as Podman's, which are tested for real).
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from ketacourse_tools.assignments import sandbox
from ketacourse_tools.assignments.sandbox import Backend, Limits, container_command

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(wall_s=30, cpu_s=20, memory_mb=1500, processes=40, file_mb=32, open_files=128)


def _cmd(engine: str, tmp_path: Path, user=(61001, 61001, False)) -> list[str]:
    dirs = {n: tmp_path / n for n in ("in", "out", "home")}
    return container_command([engine], image="localhost/ketacourse-grader-root:abc", name="ketacourse-grade-1",
                             in_dir=dirs["in"], out_dir=dirs["out"], home=dirs["home"], user=user, limits=LIMITS,
                             argv=["/venv/bin/python", "-I", "/in/runner.py", "/in", "/out", "/out/stderr.txt"])


def _pairs(cmd: list[str], flag: str) -> list[str]:
    return [cmd[i + 1] for i, a in enumerate(cmd[:-1]) if a == flag]


@pytest.mark.parametrize("engine", ["podman", "docker"])
def test_container_command_isolates_and_limits(engine, tmp_path):
    cmd = _cmd(engine, tmp_path)
    assert cmd[:3] == [engine, "run", "--rm"]
    image = cmd.index("localhost/ketacourse-grader-root:abc")
    opts, inside = cmd[:image], cmd[image + 1:]
    assert inside == ["/venv/bin/python", "-I", "/in/runner.py", "/in", "/out", "/out/stderr.txt"]
    # no network, no registry, nothing writable but the mounts below, no privileges, not root
    assert _pairs(opts, "--network") == ["none"] and _pairs(opts, "--pull") == ["never"]
    assert "--read-only" in opts and _pairs(opts, "--cap-drop") == ["ALL"]
    assert _pairs(opts, "--security-opt") == ["no-new-privileges"] and _pairs(opts, "--ipc") == ["private"]
    assert _pairs(opts, "--user") == ["61001:61001"]
    # cgroup limits and the same rlimits as bubblewrap's
    assert _pairs(opts, "--memory") == ["1500m"] and _pairs(opts, "--memory-swap") == ["1500m"]
    assert _pairs(opts, "--pids-limit") == ["40"] and _pairs(opts, "--cpus") == ["1"]
    mb = 1024 * 1024
    assert set(_pairs(opts, "--ulimit")) >= {"cpu=20:25", f"data={1500 * mb}:{1500 * mb}", f"fsize={32 * mb}:{32 * mb}",
                                             "nofile=128:128", "core=0:0"}
    assert _pairs(opts, "--tmpfs") == ["/tmp:rw,nosuid,nodev,size=1500m,mode=1777"]
    mounts = {m.split(":")[1]: m for m in _pairs(opts, "-v")}
    assert mounts["/usr"] == "/usr:/usr:ro"
    assert mounts["/in"] == f"{tmp_path / 'in'}:/in:ro"
    assert mounts["/out"].endswith(":/out:rw") and mounts["/home/student"].endswith(":/home/student:rw")
    writable = [m for m in mounts.values() if not m.endswith(":ro")]
    assert sorted(w.split(":")[1] for w in writable) == ["/home/student", "/out"]
    # no view of the checkout (tests, tools, build: the hidden keys) or of the instructor's home
    sources = [m.split(":")[0] for m in mounts.values()]
    for hidden in (ROOT, ROOT / "tools", ROOT / "tests", ROOT / "build", Path.home()):
        assert str(hidden) not in sources, hidden
    assert not any(s in ("/", "/work", "/root", "/home") for s in sources)
    assert _pairs(opts, "-w") == ["/home/student"]
    assert "HOME=/home/student" in _pairs(opts, "-e") and "OMP_NUM_THREADS=1" in _pairs(opts, "-e")
    assert "KETACOURSE_CACHE_DIR=off" in _pairs(opts, "-e"), "a submission neither reads nor writes the disk cache"


def test_podman_and_docker_get_the_same_flags_but_podmans_own(tmp_path):
    podman, docker = _cmd("podman", tmp_path), _cmd("docker", tmp_path)
    assert "--read-only-tmpfs=false" in podman and "--read-only-tmpfs=false" not in docker  # docker has no such tmpfs
    assert [a for a in podman if a != "--read-only-tmpfs=false"][1:] == docker[1:]


def test_container_user_is_never_root_and_mount_paths_are_checked(tmp_path):
    with pytest.raises(ValueError, match="must not be root"):
        _cmd("docker", tmp_path, user=(0, 0, False))
    with pytest.raises(ValueError, match="':' or ','"):
        container_command(["podman"], image="i", name="n", in_dir=tmp_path / "a:b", out_dir=tmp_path, home=tmp_path,
                          user=(1000, 1000, False), limits=LIMITS, argv=["/bin/true"])
    rootless = _cmd("podman", tmp_path, user=(1000, 1000, True))
    assert _pairs(rootless, "--userns") == ["keep-id"] and _pairs(rootless, "--user") == ["1000:1000"]
    with_runtime = container_command(["/usr/bin/podman", "--runtime", "runc"], image="i", name="n", in_dir=tmp_path,
                                     out_dir=tmp_path, home=tmp_path, user=(61002, 61002, False), limits=LIMITS,
                                     argv=["/bin/true"])
    assert with_runtime[:4] == ["/usr/bin/podman", "--runtime", "runc", "run"]
    assert "--read-only-tmpfs=false" in with_runtime  # recognised as podman by the executable's name


def test_the_image_holds_only_mount_points_and_links():
    with tarfile.open(fileobj=io.BytesIO(sandbox._image_tar())) as tar:
        members = tar.getmembers()
    assert members and all(m.isdir() or m.issym() for m in members)  # no program, no file: all bind-mounted
    assert {"usr", "tmp", "in", "out", "home/student"} <= {m.name for m in members}
    assert all(m.linkname.startswith("usr/") for m in members if m.issym())


def test_auto_takes_bwrap_then_podman_then_docker_and_refuses_with_none(monkeypatch):
    broken: set[str] = set()

    def fake_prepare(name):
        if name in broken:
            raise RuntimeError(f"{name} is not here")
        return Backend(name, (name,) if name != "bwrap" else (), "img" if name != "bwrap" else "")

    monkeypatch.setattr(sandbox, "prepare", fake_prepare)
    assert sandbox.choose("auto").name == "bwrap"
    broken.add("bwrap")
    assert sandbox.choose("auto").name == "podman"
    broken.add("podman")
    assert sandbox.choose("auto").name == "docker"
    assert sandbox.choose("docker").engine == ("docker",)
    broken.add("docker")
    with pytest.raises(RuntimeError, match="refusing to run student code without a sandbox") as err:
        sandbox.choose("auto")
    for name in ("bwrap", "podman", "docker"):
        assert f"{name}: {name} is not here" in str(err.value)
    with pytest.raises(RuntimeError, match="podman: podman is not here"):
        sandbox.choose("podman")  # asked for by name: no fallback to another
    with pytest.raises(ValueError, match="backend must be"):
        sandbox.choose("chroot")


def test_grading_is_refused_without_a_sandbox_and_writes_nothing(monkeypatch, tmp_path):
    import nbformat

    from grading_fixtures import correct, make_assignment
    from ketacourse_tools.assignments.grade import grade_folder

    def no_sandbox(name):
        raise RuntimeError(f"{name} cannot run here")

    monkeypatch.setattr(sandbox, "prepare", no_sandbox)
    ag = make_assignment(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(correct(), subs / "a.ipynb")
    with pytest.raises(RuntimeError, match="refusing to run student code without a sandbox"):
        grade_folder(subs, autograder=ag, jobs=1, progress=False, backend="auto")
    assert sorted(p.name for p in subs.iterdir()) == ["a.ipynb"]


def test_a_real_backend_is_available_here():
    """bubblewrap works on the course's machines (CI installs it): ``auto`` never refuses there."""
    assert sandbox.choose("auto").name in sandbox.BACKENDS
    assert sandbox.available("bwrap"), sandbox.why_unavailable("bwrap")


def test_the_make_target_and_the_command_line_offer_every_backend():
    makefile = (ROOT / "Makefile").read_text()
    assert "BACKEND ?= auto" in makefile and "--backend $(BACKEND)" in makefile
    from ketacourse_tools.assignments.__main__ import main

    with pytest.raises(SystemExit):
        main(["grade", "x", "--backend", "chroot"])
