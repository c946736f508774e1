"""Run one untrusted submission in a throw-away sandbox (bubblewrap + resource limits).

What the sandbox sees (everything else of the machine is absent, not just unreadable):

- read-only: ``/usr`` (with ``/bin``, ``/lib``, ``/lib64`` links), the Python installation and
  the grading virtualenv (their own folders only), the learner's package ``ketacourse`` (the
  folder a learner installs; never the course checkout, its tests, ``tools/`` or ``build/``), a
  few font and locale files, and the one submission (a copy, read-only);
- writable: a fresh empty home folder (``/home/student``, the working directory) and ``/tmp``
  (folders on the grader's temporary disk, not memory), both deleted afterwards, and ``/out``
  where the runner writes the answers;
- its own PID, IPC, UTS and network namespaces (no network: only a loopback that is down), a
  new session (no terminal), and, when the grader runs as root, an unprivileged user ID of its
  own (no capabilities), so the process-count limit applies to it alone;
- limits: CPU seconds, address space (memory), processes, file size, open files; a wall-clock
  limit enforced from outside (the whole PID namespace is killed).

:func:`available` says whether bubblewrap works here; :func:`run` runs the runner script in it.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "SandboxResult", "available", "run", "why_unavailable"]

RUNNER = Path(__file__).with_name("runner.py")


@dataclass(frozen=True)
class Limits:
    """Per-submission limits."""

    wall_s: float = 180.0
    cpu_s: int = 150
    memory_mb: int = 3072
    processes: int = 64
    file_mb: int = 64
    open_files: int = 256


@dataclass
class SandboxResult:
    returncode: int | None
    seconds: float
    timed_out: bool
    stderr: str
    out_dir: Path


def _bwrap() -> str | None:
    return shutil.which("bwrap")


def why_unavailable() -> str:
    """Empty when the sandbox works here; else why not (and what to install)."""
    if not sys.platform.startswith("linux"):
        return "the sandbox needs Linux namespaces (grade on a Linux machine or in a Linux VM)"
    if _bwrap() is None:
        return "bubblewrap is not installed: run  bash scripts/ensure-system.sh grader  (apt-get install bubblewrap)"
    probe = subprocess.run(_bwrap_args(Path("/"), Path("/"), Path("/"), None) + ["/bin/true"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return ("bubblewrap cannot create namespaces here (" + probe.stderr.strip()[:200] + "): allow "
                "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or grade as root")
    return ""


def available() -> bool:
    return why_unavailable() == ""


def _read_only_roots() -> list[str]:
    """Folders the runner's Python needs: the interpreter's installation, the virtualenv, and the
    learner's package (``ketacourse``) and the libraries it imports -- nothing of the checkout."""
    roots = {sys.base_prefix, sys.prefix}
    import ketacourse

    roots.add(str(Path(ketacourse.__file__).resolve().parent))
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(path)
    out = []
    for r in sorted(roots, key=len):
        rp = os.path.realpath(r)
        if rp.startswith("/usr/") or rp == "/usr" or not os.path.exists(rp):
            continue
        if any(rp == o or rp.startswith(o + "/") for o in out):
            continue
        out.append(rp)
    return out


def _dirs_for(path: str) -> list[str]:
    """bwrap arguments creating every ancestor of ``path`` world-readable (bwrap makes them 0700)."""
    parts, args, cur = Path(path).parts[1:-1], [], ""
    for p in parts:
        cur += "/" + p
        args += ["--perms", "0755", "--dir", cur]
    return args


def _bwrap_args(in_dir: Path, out_dir: Path, home: Path, uid: int | None) -> list[str]:
    args = [_bwrap() or "bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev"]
    if os.geteuid() != 0:
        args.insert(1, "--unshare-user")
    for link in ("bin", "lib", "lib64", "sbin"):
        target = os.path.realpath(f"/{link}")
        if os.path.islink(f"/{link}") and target.startswith("/usr/"):
            args += ["--symlink", target[1:], f"/{link}"]
        elif os.path.isdir(f"/{link}") and not os.path.islink(f"/{link}"):
            args += ["--ro-bind", f"/{link}", f"/{link}"]
    for etc in ("/etc/fonts", "/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types", "/etc/alternatives"):
        if os.path.exists(etc):
            args += ["--ro-bind", etc, etc]
    if in_dir == Path("/"):
        args += ["--tmpfs", "/tmp"]
    else:
        # /tmp on disk (a tmpfs would be memory no limit covers), both deleted after the run. Mounted
        # before the read-only roots, so a checkout or virtualenv that lives under /tmp (a CI clone)
        # is still visible inside it.
        args += ["--bind", str(home.parent / "tmp"), "/tmp"]
        for root in _read_only_roots():
            args += _dirs_for(root) + ["--ro-bind", root, root]
        args += ["--perms", "0755", "--dir", "/home", "--bind", str(home), "/home/student",
                 "--ro-bind", str(in_dir), "/in", "--bind", str(out_dir), "/out", "--chdir", "/home/student"]
    args += ["--setenv", "HOME", "/home/student", "--setenv", "PATH", "/usr/bin:/bin",
             "--setenv", "MPLBACKEND", "Agg", "--setenv", "MPLCONFIGDIR", "/home/student/.matplotlib",
             "--setenv", "IPYTHONDIR", "/home/student/.ipython", "--setenv", "OMP_NUM_THREADS", "1",
             "--setenv", "OPENBLAS_NUM_THREADS", "1", "--setenv", "MKL_NUM_THREADS", "1",
             "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "PYTHONHASHSEED", "0",
             "--unsetenv", "PYTHONPATH", "--", ]
    if uid is not None:
        args += ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--"]
    return args


def _limits(limits: Limits):
    def apply() -> None:
        mb = 1024 * 1024
        for what, value in ((resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5)),
                            (resource.RLIMIT_AS, (limits.memory_mb * mb,) * 2),
                            (resource.RLIMIT_FSIZE, (limits.file_mb * mb,) * 2),
                            (resource.RLIMIT_NOFILE, (limits.open_files,) * 2),
                            (resource.RLIMIT_CORE, (0, 0))):
            resource.setrlimit(what, value)
        if os.geteuid() != 0:
            # the count is the instructor's own processes: leave room for those already running
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes + _own_processes(),) * 2)
        else:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes,) * 2)
    return apply


def _own_processes() -> int:
    uid, n = os.getuid(), 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    n += 1
            except OSError:
                pass
    return n


def _matplotlib_cache() -> Path | None:
    """A font cache built once (in the grader's process) and copied into each sandbox, so no
    sandbox spends seconds rebuilding it."""
    cache = Path(tempfile.gettempdir()) / f"ketacourse-grader-mpl-{os.geteuid()}"
    if not any(cache.glob("fontlist*.json")):
        cache.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env={**os.environ,
                       "MPLCONFIGDIR": str(cache)}, capture_output=True, timeout=300)
    return cache if any(cache.glob("fontlist*.json")) else None


def run(notebook_bytes: bytes, job_json: str, limits: Limits = Limits()) -> SandboxResult:
    """Run the runner on ``notebook_bytes`` in a fresh sandbox. The caller reads
    ``result.out_dir / "result.json"`` and must delete ``result.out_dir``'s parent
    (returned in a temporary folder that only the grader can write)."""
    base = Path(tempfile.mkdtemp(prefix="ketacourse-grade-"))
    in_dir, out_dir, home = base / "in", base / "out", base / "home"
    for d in (in_dir, out_dir, home, base / "tmp"):
        d.mkdir()
    (in_dir / "submission.ipynb").write_bytes(notebook_bytes)
    (in_dir / "job.json").write_text(job_json, encoding="utf-8")
    shutil.copy(RUNNER, in_dir / "runner.py")
    cache = _matplotlib_cache()
    if cache is not None:
        shutil.copytree(cache, home / ".matplotlib")
    uid = None
    if os.geteuid() == 0:
        uid = 61000 + os.getpid() % 3000  # one ID per grading worker: the process limit is its own
        for d in (out_dir, home, base / "tmp"):
            for p in [d, *d.rglob("*")]:
                os.chown(p, uid, uid)
    for d in (in_dir, base):
        d.chmod(0o755)
    cmd = _bwrap_args(in_dir, out_dir, home, uid) + [sys.executable, "-I", "-B", "/in/runner.py", "/in", "/out"]
    start = time.monotonic()
    # stderr goes to a file (the file-size limit caps it), never into the grader's memory
    with open(base / "stderr.txt", "wb") as err_file:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err_file,
                                preexec_fn=_limits(limits), start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)  # bwrap dies, and with it (PID namespace) every process inside
            proc.wait()
    with open(base / "stderr.txt", "rb") as fh:
        fh.seek(max(0, (base / "stderr.txt").stat().st_size - 4000))
        err = fh.read()
    return SandboxResult(proc.returncode, time.monotonic() - start, timed_out, err.decode("utf-8", "replace"),
                         out_dir)


def cleanup(result: SandboxResult) -> None:
    """Delete everything the submission wrote (its home, /tmp was a tmpfs)."""
    shutil.rmtree(result.out_dir.parent, ignore_errors=True)
