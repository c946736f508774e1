"""A small content-addressed cache on disk, per machine, for results that cost seconds to compute.

What goes in: the book's offline frames of a widget (:meth:`ketacourse.widgets.base.ModelWidget.static_html`,
10-40 figures drawn and compressed per widget each time a chapter runs), a new widget's first live
frame (about 1 CPU-s of drawing per widget built: ``ModelWidget._show_first_frame``) and the wind-up simulations
of Chapter 4 (:func:`ketacourse.circuits.windup.simulate_train`, :class:`~ketacourse.circuits.windup.WindupGrid`
and :func:`~ketacourse.circuits.windup.reference_runs`), the absorption rates fitted to published
peak times (:func:`ketacourse.pk.routes.fit_ka_to_tmax`: about 20 per Chapter 2 kernel, 1.7 s) and the
figures of the validation page (:meth:`ketacourse.agreement.Report.png`: 12 figures, 17 s). A chapter
run again (a new kernel, Run All again, the student version, the tests) reads them back in milliseconds.

Where: the folder named by the environment variable ``KETACOURSE_CACHE_DIR`` (``off`` turns the cache
off), else ``$XDG_CACHE_HOME/ketacourse``, else ``~/.cache/ketacourse``. Its files can be deleted at
any time; the oldest are deleted when it grows past :data:`MAX_BYTES`.

The key of an entry is a SHA-256 of: the kind of result, the call's arguments in a canonical form
(:func:`canonical`), a hash of every source and data file of the installed ``ketacourse`` package
(computed once per process) and the versions of Python, NumPy, SciPy, Matplotlib and Pillow. So an
edited model, table or widget, or another library version, never reads an old result: it computes
and stores a new one. What is read back is exactly what was stored (each file carries a hash of its
content); a damaged or unreadable entry, a read-only or missing folder (a shared JupyterHub home)
all fall back to computing, silently. Writes go to a temporary file renamed into place, so several
processes (pytest workers, kernels) can share one folder.

A result drawn with Matplotlib also depends on the rc parameters and the font files: :func:`matplotlib_rc`
and :func:`matplotlib_fonts` give them, for its ``args``.

This module is part of the foundation layer: it imports nothing else from ``ketacourse``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import sys
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["ENV", "OFF", "MAX_BYTES", "folder", "canonical", "key", "entry", "read", "write", "cached",
           "matplotlib_rc", "matplotlib_fonts",
           "package_hash"]

ENV = "KETACOURSE_CACHE_DIR"
"""The environment variable naming the cache folder (:data:`OFF` turns the cache off)."""
OFF = "off"
"""The value of :data:`ENV` that turns the cache off."""
MAX_BYTES = 512 * 2**20
"""When the folder holds more than this, the least recently used entries are deleted (down to 3/4 of it)."""
_FORMAT = b"ketacourse-diskcache-1\n"
_LIBRARIES = ("numpy", "scipy", "matplotlib", "Pillow")

T = TypeVar("T")


def folder() -> Path | None:
    """The cache folder (not created here), or None when ``KETACOURSE_CACHE_DIR=off``."""
    chosen = os.environ.get(ENV, "").strip()
    if chosen.lower() == OFF:
        return None
    if chosen:
        return Path(chosen).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "ketacourse"
    try:
        return Path.home() / ".cache" / "ketacourse"
    except RuntimeError:  # no home folder to be found: no cache
        return None


@lru_cache(maxsize=1)
def package_hash() -> str:
    """SHA-256 of every file of the installed ``ketacourse`` package (sources and data), by relative path.

    Computed once per process (about 2.5 MB to read).
    """
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                       and p.suffix not in (".pyc", ".pyo")):
        data = path.read_bytes()
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + str(len(data)).encode() + b"\0")
        h.update(data)
    return h.hexdigest()


@lru_cache(maxsize=1)
def _environment() -> str:
    """The package's hash and the versions that shape every result (once per process)."""
    from importlib import metadata

    versions = []
    for name in _LIBRARIES:
        try:
            versions.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return "\n".join([_FORMAT.decode().strip(), sys.version, package_hash(), *versions])


def canonical(value: Any) -> str:
    """A text that is equal for equal arguments and differs for different ones (types included).

    Accepts None, bools, ints, floats (exact: ``repr``), strings, bytes, tuples, lists, dicts (any key
    order), sets, NumPy arrays and scalars (dtype, shape and bytes) and dataclass instances (their class
    and fields); raises TypeError for anything else (such a call is not cached).
    """
    if value is None or isinstance(value, (bool, int, str)):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, float):
        return f"float:{value!r}" if not math.isnan(value) else "float:nan"
    if isinstance(value, bytes):
        return f"bytes:{hashlib.sha256(value).hexdigest()}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__}[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, (set, frozenset)):
        return f"{type(value).__name__}{{" + ",".join(sorted(canonical(v) for v in value)) + "}"
    if isinstance(value, dict):
        items = sorted((canonical(k), canonical(v)) for k, v in value.items())
        return "dict{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return f"{cls.__module__}.{cls.__qualname__}" + canonical(fields)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, (np.ndarray, np.generic)):
        arr = np.ascontiguousarray(value)
        if arr.dtype.hasobject:
            return f"{type(value).__name__}({arr.dtype.str},{arr.shape})" + canonical(arr.tolist())
        digest = hashlib.sha256(arr.tobytes()).hexdigest()
        return f"{type(value).__name__}({arr.dtype.str},{arr.shape},{digest})"
    raise TypeError(f"no canonical form for a {type(value).__module__}.{type(value).__qualname__}")


def key(kind: str, args: Any) -> str:
    """The entry's key: SHA-256 (hex) of ``kind``, :func:`canonical` of ``args`` and the environment.

    Raises TypeError if ``args`` has no canonical form.
    """
    h = hashlib.sha256()
    for part in (kind, canonical(args), _environment()):
        data = part.encode("utf-8", "surrogatepass")
        h.update(str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()


def entry(kind: str, args: Any, suffix: str = "") -> Path | None:
    """The file of the entry for ``kind`` and ``args`` (it may not exist yet).

    None when the cache is off, ``args`` has no canonical form or the folder cannot be created.
    ``kind`` starts the file name (letters, digits, ``-``).
    """
    base = folder()
    if base is None:
        return None
    try:
        digest = key(kind, args)
    except TypeError:
        return None
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return base / f"{kind}-{digest[:40]}{suffix}"


def read(path: Path | None) -> bytes | None:
    """The bytes stored in ``path``, or None if there are none, they are damaged or cannot be read."""
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return None
    head, _, rest = blob.partition(b"\n")
    digest, _, payload = rest.partition(b"\n")
    if head + b"\n" != _FORMAT or hashlib.sha256(payload).hexdigest().encode() != digest:
        return None  # damaged (or another format): recomputed and written again
    try:
        os.utime(path)  # recently used: kept when the folder is trimmed
    except OSError:
        pass
    return payload


def write(path: Path | None, payload: bytes) -> bool:
    """Store ``payload`` in ``path`` atomically (a temporary file renamed into place); False if it could not."""
    if path is None:
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(_FORMAT + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
        return False
    _trim(path.parent)
    return True


def _trim(base: Path, limit: int = MAX_BYTES) -> None:
    """Delete the least recently used files of ``base`` while it holds more than ``limit`` bytes."""
    try:
        files = []
        with os.scandir(base) as it:
            for e in it:
                if e.is_file(follow_symlinks=False):
                    st = e.stat(follow_symlinks=False)
                    files.append((st.st_mtime, st.st_size, e.path))
    except OSError:
        return
    total = sum(size for _, size, _ in files)
    if total <= limit:
        return
    for _, size, name in sorted(files):
        try:
            os.unlink(name)
        except OSError:
            continue
        total -= size
        if total <= limit * 3 // 4:
            break


def cached(kind: str, args: Any, compute: Callable[[], T], *, dump: Callable[[T], bytes],
           load: Callable[[bytes], T], suffix: str = "") -> T:
    """``compute()``, or what an earlier call with the same ``kind`` and ``args`` stored.

    Parameters
    ----------
    kind : str
        What is computed (the start of the file name), e.g. ``"scrubber"``.
    args : object
        Everything the result depends on besides the package's code and data and the library
        versions (those are in every key); see :func:`canonical` for what it may hold.
    compute : callable
        Computes the result (called when there is no usable entry; its exceptions propagate and
        nothing is stored).
    dump, load : callable
        The result as bytes and back; ``load(dump(r))`` must equal ``r``. An entry that ``load``
        cannot read is computed again.
    suffix : str
        The file name's ending, e.g. ``".html"``.
    """
    path = entry(kind, args, suffix)
    payload = read(path)
    if payload is not None:
        try:
            return load(payload)
        except Exception:  # noqa: BLE001 - a stored entry that does not decode is computed again
            pass
    result = compute()
    if path is not None:
        write(path, dump(result))
    return result


# ---- what a figure drawn with Matplotlib depends on, besides its own code (part of such a result's args)
_BACKEND_CHOICE = ("backend", "backend_fallback")
"""The rc parameters that only choose pyplot's backend (:func:`matplotlib_rc` leaves them out)."""


def matplotlib_rc() -> str:
    """Every current rc parameter but those choosing the backend, as text (what a figure drawn now
    is drawn under).

    The course's figures are drawn on their own Agg canvas whatever the backend, so a kernel
    (``backend_fallback`` on) and a script that chose Agg draw the same figure under the same key;
    and reading ``backend`` while it is still to be chosen would import pyplot to choose it.
    """
    import matplotlib as mpl

    return repr([(k, repr(mpl.rcParams[k])) for k in sorted(mpl.rcParams) if k not in _BACKEND_CHOICE])


def matplotlib_fonts() -> list[tuple[str, str, int, float]]:
    """The font file Matplotlib picks for each family of the current rc parameters and for
    monospace (normal and bold), with its size and time: a font installed or removed on this
    machine changes the key of every figure stored."""
    import matplotlib as mpl
    from matplotlib import font_manager

    out = []
    families = list(mpl.rcParams["font.family"]) + ["monospace"]
    for family in families:
        for weight in ("normal", "bold"):
            path = font_manager.findfont(font_manager.FontProperties(family=family, weight=weight))
            try:
                st = os.stat(path)
                out.append((f"{family}/{weight}", path, st.st_size, st.st_mtime))
            except OSError:
                out.append((f"{family}/{weight}", path, -1, 0.0))
    return out
