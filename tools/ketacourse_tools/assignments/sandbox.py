"""Run one untrusted submission in a throw-away sandbox: bubblewrap, or a Podman or Docker container.

Three backends give the same sandbox (:data:`BACKENDS`; :func:`choose` picks one, ``auto`` meaning
bubblewrap if it works here, else Podman, else Docker, else none: grading is refused):

- ``bwrap``: bubblewrap (Debian's ``bubblewrap`` package), namespaces and resource limits (rlimits);
- ``podman`` / ``docker``: a container from a local image that holds only empty mount points
  (``ketacourse-grader-root``, imported from a tarball built here: no registry is used), with the
  same folders bind-mounted read-only, ``--network none``, ``--read-only``, ``--cap-drop ALL``,
  ``no-new-privileges``, a non-root ``--user``, cgroup limits (``--memory``, ``--pids-limit``,
  ``--cpus 1``) on top of the same rlimits, and a size-limited tmpfs as ``/tmp``.
  :func:`container_command` builds the command line (the same flags for both engines).

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BACKENDS", "Backend", "Limits", "SandboxResult", "available", "choose", "container_command", "prepare",
           "run", "why_unavailable"]

BACKENDS = ("bwrap", "podman", "docker")  # the order ``auto`` tries them in
IMAGE = "localhost/ketacourse-grader-root"

RUNNER = Path(__file__).with_name("runner.py")
ENV = {"HOME": "/home/student", "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg",
       "MPLCONFIGDIR": "/home/student/.matplotlib", "IPYTHONDIR": "/home/student/.ipython", "OMP_NUM_THREADS": "1",
       "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
       "KETACOURSE_CACHE_DIR": "off"}
"""The submission's whole environment. ``KETACOURSE_CACHE_DIR=off``: the package's disk cache
(:mod:`ketacourse.diskcache`) is neither read nor written, whatever the grader's own environment says;
the package computes every result itself, and a submission's files never enter a cache the grader
or another submission reads."""
ETC_FILES = ("/etc/fonts", "/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types", "/etc/alternatives")


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


@dataclass(frozen=True)
class Backend:
    """A sandbox that works here: ``name`` (one of :data:`BACKENDS`), and for a container engine the
    command that runs it (``engine``, e.g. ``("/usr/bin/podman", "--runtime", "runc")``) and the local
    image of empty mount points (``image``)."""

    name: str = "bwrap"
    engine: tuple[str, ...] = ()
    image: str = ""


def _why_bwrap() -> str:
    if _bwrap() is None:
        return "bubblewrap is not installed: run  bash scripts/ensure-system.sh grader  (apt-get install bubblewrap)"
    probe = subprocess.run(_bwrap_args(Path("/"), Path("/"), Path("/"), None) + ["/bin/true"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return ("bubblewrap cannot create namespaces here (" + probe.stderr.strip()[:200] + "): allow "
                "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or grade as root")
    return ""


def prepare(name: str) -> Backend:
    """The backend ``name`` ready to use (for a container engine: the local image exists and a
    container started and ran ``/bin/true`` with the grading flags).

    Raises
    ------
    RuntimeError
        Saying why ``name`` cannot be used here and what to install.
    ValueError
        If ``name`` is not one of :data:`BACKENDS`.
    """
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {name!r}")
    if not sys.platform.startswith("linux"):
        raise RuntimeError("the sandbox needs Linux namespaces (grade on a Linux machine or in a Linux VM)")
    if name == "bwrap":
        why = _why_bwrap()
        if why:
            raise RuntimeError(why)
        return Backend("bwrap")
    return _prepare_container(name)


def why_unavailable(backend: str = "bwrap") -> str:
    """Empty when ``backend`` works here; else why not (and what to install)."""
    try:
        prepare(backend)
    except RuntimeError as exc:
        return str(exc)
    return ""


def available(backend: str = "bwrap") -> bool:
    return why_unavailable(backend) == ""


def choose(requested: str = "auto") -> Backend:
    """The backend to grade with: ``requested`` itself, or for ``"auto"`` the first of
    :data:`BACKENDS` that works here.

    Raises
    ------
    RuntimeError
        If none works (or the one requested does not): grading is refused, with each reason.
    """
    names = BACKENDS if requested == "auto" else (requested,)
    if requested != "auto" and requested not in BACKENDS:
        raise ValueError(f"backend must be auto or one of {', '.join(BACKENDS)}; got {requested!r}")
    reasons = []
    for name in names:
        try:
            return prepare(name)
        except RuntimeError as exc:
            reasons.append(f"{name}: {exc}")
    raise RuntimeError("refusing to run student code without a sandbox: " + "; ".join(reasons))


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
    for etc in ETC_FILES:
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
    for k, v in ENV.items():
        args += ["--setenv", k, v]
    args += ["--unsetenv", "PYTHONPATH", "--"]
    if uid is not None:
        args += ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--"]
    return args

# ----------------------------------------------------------------------------- container engines
def _links() -> dict[str, str]:
    """``{"/bin": "usr/bin", ...}``: the top-level folders that are links into ``/usr`` here (merged /usr)."""
    out = {}
    for link in ("bin", "lib", "lib64", "sbin"):
        target = os.path.realpath(f"/{link}")
        if os.path.islink(f"/{link}") and target.startswith("/usr/"):
            out[f"/{link}"] = target[1:]
    return out


def _image_tar() -> bytes:
    """The image: empty mount points and the ``/usr`` links, nothing else (every program and library
    is the host's own, bind-mounted read-only when a container starts)."""
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("usr", "etc", "proc", "dev", "sys", "tmp", "run", "home", "home/student", "in", "out"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        for link, target in sorted(_links().items()):
            info = tarfile.TarInfo(link[1:])
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buf.getvalue()


def _image_name() -> str:
    import hashlib

    return f"{IMAGE}:{hashlib.sha256(_image_tar()).hexdigest()[:12]}"


def _probe(engine: tuple[str, ...], image: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="ketacourse-probe-") as tmp:
        home = Path(tmp)
        home.chmod(0o755)
        cmd = container_command(engine, image=image, name=f"ketacourse-probe-{os.getpid()}", in_dir=home,
                                out_dir=home, home=home, user=_container_user(engine), limits=Limits(),
                                argv=["/bin/true"])
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def _prepare_container(name: str) -> Backend:
    exe = shutil.which(name)
    if exe is None:
        install = ("apt-get install podman (bash scripts/ensure-system.sh grader-podman)" if name == "podman"
                   else "Docker Engine (docs.docker.com/engine/install)")
        raise RuntimeError(f"{name} is not installed ({install})")
    image = _image_name()
    have = subprocess.run([exe, "image", "inspect", image], capture_output=True, text=True, timeout=120)
    if have.returncode != 0:
        made = subprocess.run([exe, "import", "-", image], input=_image_tar(), capture_output=True, timeout=300)
        if made.returncode != 0:
            why = made.stderr.decode("utf-8", "replace").strip()[:300]
            raise RuntimeError(f"{name} cannot import the local grading image here ({why})")
    tried = []
    candidates = [(exe,)]
    if name == "podman" and shutil.which("runc"):
        # crun (Podman's default on Debian) refuses cgroup v1 "hybrid" hosts; runc runs there
        candidates.append((exe, "--runtime", shutil.which("runc") or "runc"))
    for engine in candidates:
        probe = _probe(engine, image)
        if probe.returncode == 0:
            return Backend(name, engine, image)
        tried.append(" ".join(engine[1:]) + ": " + " ".join(probe.stderr.split())[-300:] if engine[1:]
                     else " ".join(probe.stderr.split())[-300:])
    raise RuntimeError(f"{name} is installed but cannot run the grading container here ({'; '.join(tried)})")


def _container_user(engine: tuple[str, ...]) -> tuple[int, int, bool]:
    """``(uid, gid, keep_id)`` of the sandbox's user: as root, a user ID of the grading worker's own
    (no files, no group, so the process limit counts it alone); otherwise the instructor's IDs (rootless
    Podman maps them with ``--userns keep-id``; Docker's daemon uses them as they are)."""
    if os.geteuid() == 0:
        uid = 61000 + os.getpid() % 3000
        return uid, uid, False
    return os.getuid(), os.getgid(), os.path.basename(engine[0]) == "podman"


def container_command(engine: Sequence[str], *, image: str, name: str, in_dir: Path, out_dir: Path, home: Path,
                      user: tuple[int, int, bool], limits: Limits, argv: Sequence[str],
                      read_only_roots: Sequence[str] | None = None) -> list[str]:
    """The ``podman run`` / ``docker run`` command of one sandbox (the same flags for both engines).

    Parameters
    ----------
    engine : sequence of str
        The engine's command, e.g. ``["podman"]``, ``["/usr/bin/podman", "--runtime", "runc"]`` or ``["docker"]``.
    image : str
        The local image of empty mount points (:func:`prepare` imports it; ``--pull never``).
    name : str
        The container's name (the wall-clock limit removes it by name).
    in_dir, out_dir, home : Path
        Mounted as ``/in`` (read-only: the submission, the job, the runner), ``/out`` and
        ``/home/student`` (the only writable folders besides the ``/tmp`` tmpfs).
    user : (int, int, bool)
        The sandbox's user and group IDs (never 0), and whether to map them with ``--userns keep-id``.
    limits : Limits
        CPU seconds, memory, processes, file size and open files.
    argv : sequence of str
        The command run inside.
    read_only_roots : sequence of str, optional
        Folders mounted read-only at the same path (default: the Python installation, the virtualenv
        and the learner's package, as for bubblewrap).

    Raises
    ------
    ValueError
        If a path holds ``:`` or ``,`` (they would change the meaning of a mount option), or the user is root.
    """
    uid, gid, keep_id = user
    if uid == 0 or gid == 0:
        raise ValueError("the sandbox's user must not be root (uid and gid must be > 0)")
    mb = 1024 * 1024
    podman = os.path.basename(engine[0]) == "podman"
    roots = list(_read_only_roots() if read_only_roots is None else read_only_roots)
    mounts: list[tuple[str, str, str]] = [("/usr", "/usr", "ro")]
    links = _links()
    for top in ("/bin", "/lib", "/lib64", "/sbin"):
        if top not in links and os.path.isdir(top) and not os.path.islink(top):
            mounts.append((top, top, "ro"))  # not merged /usr: the folder itself
    mounts += [(e, e, "ro") for e in ETC_FILES if os.path.exists(e)]
    mounts += [(r, r, "ro") for r in roots]
    mounts += [(str(in_dir), "/in", "ro"), (str(out_dir), "/out", "rw"), (str(home), "/home/student", "rw")]
    for src, dst, _mode in mounts:
        if ":" in src + dst or "," in src + dst:
            raise ValueError(f"a mounted path must not contain ':' or ','; got {src!r}")
    cmd = [*engine, "run", "--rm", "--name", name, "--pull", "never", "--network", "none", "--read-only"]
    if podman:
        cmd += ["--read-only-tmpfs=false"]  # no writable /run, /var/tmp: only the folders below
    cmd += ["--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--ipc", "private", "--hostname", "sandbox",
            "--user", f"{uid}:{gid}"]
    if keep_id:
        cmd += ["--userns", "keep-id"]
    # memory: the cgroup's --memory, and RLIMIT_DATA per process (neither engine accepts RLIMIT_AS; since
    # Linux 4.7 the data limit counts every private allocation, so an allocation past it is a MemoryError
    # in the notebook, reported on its row, rather than the whole sandbox killed)
    cmd += ["--memory", f"{limits.memory_mb}m", "--memory-swap", f"{limits.memory_mb}m",
            "--pids-limit", str(limits.processes), "--cpus", "1",
            "--ulimit", f"cpu={limits.cpu_s}:{limits.cpu_s + 5}", "--ulimit", f"data={limits.memory_mb * mb}:{limits.memory_mb * mb}",
            "--ulimit", f"fsize={limits.file_mb * mb}:{limits.file_mb * mb}",
            "--ulimit", f"nofile={limits.open_files}:{limits.open_files}", "--ulimit", "core=0:0"]
    if not keep_id and os.geteuid() == 0:  # a user ID of its own: the per-user process limit is the sandbox's
        cmd += ["--ulimit", f"nproc={limits.processes}:{limits.processes}"]
    cmd += ["--tmpfs", f"/tmp:rw,nosuid,nodev,size={limits.memory_mb}m,mode=1777"]  # counted in --memory
    for src, dst, mode in mounts:
        cmd += ["-v", f"{src}:{dst}:{mode}"]
    cmd += ["-w", "/home/student"]
    for k, v in ENV.items():
        cmd += ["-e", f"{k}={v}"]
    return cmd + [image, *argv]


def _run_container(backend: Backend, base: Path, in_dir: Path, out_dir: Path, home: Path,
                   limits: Limits) -> tuple[int | None, bool, str]:
    name = f"ketacourse-grade-{os.getpid()}-{base.name.rsplit('-', 1)[-1]}"
    user = _container_user(backend.engine)
    cmd = container_command(backend.engine, image=backend.image, name=name, in_dir=in_dir, out_dir=out_dir,
                            home=home, user=user, limits=limits,
                            argv=[sys.executable, "-I", "-B", "/in/runner.py", "/in", "/out", "/out/stderr.txt"])
    timed_out = False
    with open(base / "engine.txt", "wb") as err_file:  # the engine's own messages (the runner's go to /out)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err_file, stderr=err_file,
                                start_new_session=True)
        try:
            proc.wait(timeout=limits.wall_s)  # the container's start counts, as bubblewrap's does
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:  # the container and every process in it, whatever happened
            subprocess.run([*backend.engine, "rm", "--force", name], capture_output=True, timeout=120)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    err = b""
    for f in (out_dir / "stderr.txt", base / "engine.txt"):
        if f.is_file() and not f.is_symlink():
            with open(f, "rb") as fh:
                fh.seek(max(0, f.stat().st_size - 2000))
                err += fh.read()
    return proc.returncode if not timed_out else None, timed_out, err.decode("utf-8", "replace")



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


def run(notebook_bytes: bytes, job_json: str, limits: Limits = Limits(), backend: Backend = Backend()) -> SandboxResult:
    """Run the runner on ``notebook_bytes`` in a fresh sandbox (``backend``, from :func:`choose`;
    default bubblewrap). The caller reads ``result.out_dir / "result.json"`` and must delete
    ``result.out_dir``'s parent (returned in a temporary folder that only the grader can write)."""
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
    start = time.monotonic()
    if backend.name != "bwrap":
        code, timed_out, err_text = _run_container(backend, base, in_dir, out_dir, home, limits)
        return SandboxResult(code, time.monotonic() - start, timed_out, err_text, out_dir)
    cmd = _bwrap_args(in_dir, out_dir, home, uid) + [sys.executable, "-I", "-B", "/in/runner.py", "/in", "/out"]
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
