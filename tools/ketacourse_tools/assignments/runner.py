"""Run one student notebook inside the sandbox and write its answers out as plain data.

This file is copied into each sandbox and run there as a script (``python runner.py IN OUT [LOG]``;
a container backend passes LOG, a file inside the sandbox that takes its stdout and stderr);
it imports nothing from the course tools. It never sees an expected value: it executes the
notebook's code cells in order (IPython in-process, so magics and ``display`` work; no Jupyter
kernel), then writes ``OUT/result.json``::

    {"answers": {question: {"type": "float"|"int"|"str"|"bool"|"none"|"missing"|"other", "value": ...}},
     "errors": [{"cell": n, "ename": ..., "evalue": ..., "line": l}],   # n counts every cell from 1
     "defined_in": {question: n},                                     # the cell that assigns it
     "variant": "...", "seconds": s}

Only ``int``, ``float``, ``str`` and ``bool`` values (exactly those types, or NumPy scalars,
converted with the built-in type's own methods) leave as values; anything else is reported by its
type name. The comparison with the hidden values happens in the grader's own process, so nothing
a notebook does to its own interpreter (patched built-ins, a float subclass whose ``__eq__`` is
always true) changes what it is compared with.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import signal
import sys
import time

SKIP_TAGS = {"otter-init", "otter-check", "otter-submit"}


class _Grader:
    """Stands in for otter's ``grader`` object: ``grader.check`` and ``grader.export`` do nothing."""

    def check(self, *_a, **_k):
        return None

    def export(self, *_a, **_k):
        return None

    def check_all(self, *_a, **_k):
        return None


def _assigned_in(source: str, name: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return re.search(rf"^\s*{re.escape(name)}\s*=", source, re.MULTILINE) is not None
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for t in targets:
            for sub in ast.walk(t):
                if isinstance(sub, ast.Name) and sub.id == name:
                    return True
    return False


def _plain(value) -> dict:
    """The answer as data: exact built-in values only (a subclass's overrides are not called)."""
    kind = type(value)
    if value is None:
        return {"type": "none"}
    if value is Ellipsis:
        return {"type": "ellipsis"}
    if kind is bool:
        return {"type": "bool", "value": bool.__bool__(value)}
    if kind is int:
        return {"type": "int", "value": int.__index__(value)} if abs(int.__index__(value)) < 10**300 \
            else {"type": "other", "name": "huge int"}
    if kind is float:
        return {"type": "float", "value": float.__repr__(value)}
    if kind is str:
        return {"type": "str", "value": str.__str__(value)[:200]}
    module = getattr(kind, "__module__", "")
    if module == "numpy" and kind.__name__ in ("float64", "float32", "float16", "longdouble"):
        return {"type": "float", "value": float.__repr__(float(value.item()))}
    if module == "numpy" and kind.__name__.startswith(("int", "uint")):
        return {"type": "int", "value": int(value.item())}
    if module == "numpy" and kind.__name__ == "bool_":
        return {"type": "bool", "value": bool(value.item())}
    if module == "numpy" and kind.__name__ == "str_":
        return {"type": "str", "value": str(value.item())[:200]}
    return {"type": "other", "name": f"{module}.{kind.__qualname__}"[:80]}


def _names(tree: ast.AST) -> tuple[set, set, bool]:
    """(names bound anywhere, names read anywhere, whether it stores into attributes/items or
    declares globals) of a parsed cell: an over-approximation, for :func:`skippable`."""
    bound, read, other = set(), set(), False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                bound.add((a.asname or a.name).split(".")[0])
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load):
            other = True
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            other = True
    return bound, read, other


def _free_reads(tree: ast.Module) -> set:
    """Names a cell reads before binding them itself (statement by statement; loop, comprehension,
    ``with``/``except`` targets and function arguments count as bound where they are used)."""
    bound_so_far: set = set()
    free: set = set()
    for stmt in tree.body:
        local = set()
        for node in ast.walk(stmt):
            if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                local |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
            elif isinstance(node, ast.arg):
                local.add(node.arg)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                local.add(node.name)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                local |= {n.id for n in ast.walk(node.optional_vars) if isinstance(n, ast.Name)}
        reads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        free |= reads - bound_so_far - local
        bound_so_far |= _names(stmt)[0]
    return free


_DYNAMIC = re.compile(r"\b(globals|locals|vars|eval|exec|__dict__|getattr|setattr|__import__|user_ns)\b"
                      r"|get_ipython\(\)\.(?!run_line_magic|run_cell_magic)")


def skippable(sources: list[str | None], identical: set[int], answers: set[str]) -> set[int]:
    """Indices of cells the grading run need not execute: cells identical to a cell of the notebook
    the students were given (course code, not theirs) that are a single expression (a widget, a
    practice check, a display) or whose every name is never read by a later cell or an answer, and
    that store into no attribute or item. Conservative: a later cell that reaches names
    dynamically (globals(), eval, getattr...) keeps every earlier cell. ``sources`` are the cells'
    Python (IPython-transformed; None for cells not run), ``identical`` the indices of cells
    identical to the handout's."""

    parsed = []
    for src in sources:
        if src is None:
            parsed.append(None)
            continue
        try:
            parsed.append(ast.parse(src))
        except SyntaxError:
            parsed.append(None)
    later_reads: set = set(answers)
    dynamic = False  # a later cell reaches names dynamically: keep every earlier cell
    out: set[int] = set()
    for i in range(len(sources) - 1, -1, -1):
        src, tree = sources[i], parsed[i]
        if src is None or tree is None:  # not run (otter's cells) or a syntax error (never runs)
            continue
        is_dynamic = bool(_DYNAMIC.search(src))
        if not dynamic and not is_dynamic and i in identical:
            bound, _read, other = _names(tree)
            single = len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr) and not any(
                isinstance(n, ast.NamedExpr) for n in ast.walk(tree))
            if single or (not other and not (bound & later_reads)):
                out.add(i)
                continue
        later_reads |= _free_reads(tree)
        dynamic = dynamic or is_dynamic
    return out


_WATCHED = {"os.system": "a shell command", "subprocess.Popen": "a program", "os.exec": "a program",
            "os.posix_spawn": "a program", "socket.connect": "a network connection",
            "socket.getaddrinfo": "a network name lookup", "socket.sendto": "a network send",
            "os.remove": "deleting a file", "os.rename": "moving a file", "shutil.rmtree": "deleting a folder",
            "os.kill": "signalling a process"}


def _audit_hook(allowed: tuple[str, ...], log: dict, own: str):
    """An audit hook (it cannot be removed from inside) that counts what the notebook tried that
    grading does not need: shell commands, programs, network, files outside its own folders."""
    def hook(event: str, args: tuple) -> None:
        what = _WATCHED.get(event)
        detail = ""
        if what is None and event == "open" and args and isinstance(args[0], str):
            path = os.path.abspath(args[0])
            if not path.startswith(allowed):
                what, detail = "a file outside its own folders", path
        elif what is None and event == "os.scandir" and args and isinstance(args[0], str):
            path = os.path.abspath(args[0])
            if not (path + "/").startswith(allowed):
                what, detail = "listing folders outside its own", path
        elif what is not None and args:
            detail = str(args[0] if event not in ("socket.connect", "socket.sendto") else args[1])
        if what is None or (detail.startswith(own) and what in ("moving a file", "deleting a file")):
            return  # the runner's own result file
        entry = log.setdefault(what, [0, []])
        entry[0] += 1
        if len(entry[1]) < 3 and detail and detail[:80] not in entry[1]:
            entry[1].append(detail[:80])
    return hook


class CellTimeout(Exception):
    """A cell ran longer than the per-cell limit."""


def _too_long(_signum, _frame):
    raise CellTimeout("the cell ran longer than the per-cell time limit and was stopped")


def read_answers(ns: dict, questions: dict, result: dict) -> None:
    for name, expr in questions.items():
        try:
            if expr.isidentifier():
                result["answers"][name] = _plain(ns[expr]) if expr in ns else {"type": "missing"}
            else:
                result["answers"][name] = _plain(eval(expr, dict(ns)))  # noqa: S307 - the student's own kernel
        except BaseException as exc:  # noqa: BLE001
            result["answers"][name] = {"type": "error", "name": f"{type(exc).__name__}: {str(exc)[:100]}"}


def main(in_dir: str, out_dir: str) -> int:
    start = time.monotonic()
    with open(os.path.join(in_dir, "job.json"), encoding="utf-8") as fh:
        job = json.load(fh)
    result: dict = {"answers": {}, "errors": [], "defined_in": {}, "variant": "", "seconds": 0.0,
                    "cells": 0, "fatal": ""}
    out_path = os.path.join(out_dir, "result.json")

    def write() -> None:
        result["seconds"] = round(time.monotonic() - start, 2)
        with open(out_path + ".tmp", "w", encoding="utf-8") as fh:
            json.dump(result, fh)
        os.replace(out_path + ".tmp", out_path)

    try:
        with open(os.path.join(in_dir, "submission.ipynb"), encoding="utf-8") as fh:
            nb = json.load(fh)
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise ValueError("'cells' is not a list")
    except Exception as exc:  # noqa: BLE001 - anything unreadable becomes a reported fatal error
        result["fatal"] = f"not a readable notebook: {type(exc).__name__}: {str(exc)[:200]}"
        write()
        return 0
    result["cells"] = len(cells)
    questions = job["questions"]  # name -> answer expression
    cell_timeout = int(job.get("cell_timeout", 60))
    for name, expr in questions.items():
        for i, cell in enumerate(cells, start=1):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            if cell.get("cell_type") == "code" and expr.isidentifier() and _assigned_in(source, expr):
                result["defined_in"][name] = i
                break
    write()  # a result even if a cell kills the interpreter

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.user_ns["grader"] = _Grader()
    allowed = tuple({os.path.realpath(p) + "/" for p in (sys.prefix, sys.base_prefix, "/home/student", "/tmp", "/usr",
                                                          in_dir, out_dir, os.path.dirname(os.__file__))}
                    | {"/proc/self/", "/dev/", "/etc/", "/sys/", "/lib", "/bin", "/usr"}
                    | {os.path.realpath(p) + "/" for p in sys.path if p})
    result["tried"] = {}
    sys.addaudithook(_audit_hook(allowed, result["tried"], os.path.realpath(out_dir)))
    sources: list[str | None] = []
    identical: set[int] = set()
    handout = set(job.get("handout", []))
    for i, cell in enumerate(cells):
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        tags = set(cell.get("metadata", {}).get("tags", []) or [])
        run = cell.get("cell_type") == "code" and not tags & SKIP_TAGS
        sources.append(shell.transform_cell(src) if run else None)
        if run and hashlib.sha256(src.encode()).hexdigest() in handout:
            identical.add(i)
    skip = skippable(sources, identical,
                     {n for e in questions.values() for n in re.findall(r"[A-Za-z_]\w*", e)}) \
        if job.get("handout") else set()
    result["skipped_cells"] = sorted(i + 1 for i in skip)
    # No cell's output is shown anywhere; keep the interpreter quiet and fast.
    devnull = open(os.devnull, "w")
    real_stdout, real_stderr = sys.stdout, sys.stderr
    for i, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code" or (i - 1) in skip:
            continue
        tags = set(cell.get("metadata", {}).get("tags", []) or [])
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if tags & SKIP_TAGS:  # otter's own cells: keep only the variant line of the init cell
            source = "\n".join(ln for ln in source.splitlines() if ln.startswith("KETACOURSE_VARIANT ="))
            if not source:
                continue
        sys.stdout, sys.stderr = devnull, devnull
        signal.signal(signal.SIGALRM, _too_long)
        signal.alarm(cell_timeout)
        try:
            outcome = shell.run_cell(source, store_history=False, silent=True)
        finally:
            signal.alarm(0)
            sys.stdout, sys.stderr = real_stdout, real_stderr
        err = outcome.error_before_exec or outcome.error_in_exec
        if err is not None:
            line = getattr(err, "lineno", None)
            if line is None:
                tb = err.__traceback__
                while tb is not None:
                    if tb.tb_frame.f_code.co_filename.startswith("<ipython-input"):  # the cell's own line
                        line = tb.tb_lineno
                    tb = tb.tb_next
            text = err.msg if isinstance(err, SyntaxError) and err.msg else str(err)
            result["errors"].append({"cell": i, "ename": type(err).__name__, "evalue": text[:300],
                                     "line": line, "syntax": isinstance(err, SyntaxError)})
            write()
        if i in result["defined_in"].values():  # keep answers so far, should a later cell kill the process
            read_answers(shell.user_ns, {n: e for n, e in questions.items() if result["defined_in"].get(n) == i},
                         result)
        if i in result["defined_in"].values() or result["tried"]:
            write()
    ns = shell.user_ns
    read_answers(ns, questions, result)
    variant = ns.get("KETACOURSE_VARIANT", "")
    result["variant"] = str.__str__(variant)[:100] if type(variant) is str else ""
    write()
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 3:  # a container: output to a file inside the sandbox, where the file-size limit caps it
        _fd = os.open(sys.argv[3], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(_fd, 1)
        os.dup2(_fd, 2)
        os.close(_fd)
    sys.exit(main(sys.argv[1], sys.argv[2]))
