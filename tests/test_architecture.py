"""The package's layers (docs/architecture.md), checked on the source: who may import whom, and no
import cycles, counting the imports written inside functions too (a cycle hidden in a function
body is still a cycle: the two modules cannot be understood or tested apart).

Layers, lowest first; a module may import its own layer and the layers below, never above:

0. foundation: ``validation``, ``units``, ``data``, ``diskcache`` (argument checks, unit conversions, sourced
   tables, the disk cache of slow results)
1. models, by subject: ``receptor``, ``channel``, ``pk``, ``pd``, ``evidence``, ``circuits``,
   ``safety``, ``translation``, ``derivatives``, ``tables``, ``course``, ``currency``
1.5 model validation: ``agreement`` (each model against its reference), which models never import
2. presentation and exercises: ``widgets`` (figures and controls), ``exercises`` (the check
   engine and SelfCheck), ``hashed_checks`` (its release form), ``feedback`` (what both say back)
   and ``checks`` (each chapter's checks); ``widgets`` never import
   ``exercises`` or ``checks``, and ``checks`` never import ``widgets``.

Nothing in ``ketacourse`` imports ``ketacourse_tools`` (the course-building tools), and the tools
import the package only through its public modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"ketacourse": ROOT / "src" / "ketacourse", "ketacourse_tools": ROOT / "tools" / "ketacourse_tools"}

FOUNDATION = {"validation", "units", "data", "diskcache"}
MODEL_VALIDATION = {"agreement"}
PRESENTATION = {"widgets", "exercises", "checks", "hashed_checks", "feedback"}  # hashed_checks: the exercise engine's release form; feedback: what both say back
FORBIDDEN = {  # (importer group, imported group): why not
    ("widgets", "exercises"): "figures do not grade",
    ("widgets", "checks"): "figures do not grade",
    ("checks", "widgets"): "checks compute answers from the models, not from figures",
}


def module_name(path: Path, package: str) -> str:
    rel = path.relative_to(PACKAGES[package].parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p, pkg): p for pkg, root in PACKAGES.items() for p in sorted(root.rglob("*.py"))}


MODULES = all_modules()


def resolve(name: str) -> str | None:
    """The module (or package) ``name`` refers to, or None if it is not one of ours."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path) -> set[str]:
    """Our modules that ``module`` imports anywhere in its source (module level and inside functions)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                base_name = ".".join(base + ([node.module] if node.module else []))
            else:
                base_name = node.module or ""
            targets = [f"{base_name}.{a.name}" if f"{base_name}.{a.name}" in MODULES else base_name for a in node.names]
        else:
            continue
        for t in targets:
            r = resolve(t)
            if r and r != module:
                found.add(r)
    return found


GRAPH = {m: imports_of(m, p) for m, p in MODULES.items()}


def group(module: str) -> str:
    """``ketacourse.pk.routes`` -> ``pk``; ``ketacourse_tools...`` -> ``tools``."""
    parts = module.split(".")
    if parts[0] == "ketacourse_tools":
        return "tools"
    return parts[1] if len(parts) > 1 else "ketacourse"


def layer(g: str) -> int:
    if g in FOUNDATION:
        return 0
    if g in MODEL_VALIDATION:
        return 1.5
    if g in PRESENTATION:
        return 2
    if g == "tools":
        return 3
    return 1  # a model subject (a new subject package lands here by default)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def upward(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for m, targets in graph.items():
        gm = group(m)
        for t in targets:
            gt = group(t)
            if gm == "ketacourse" or gt == "ketacourse" or gm == gt:
                continue  # the package's own __init__, or within one subject
            if layer(gt) > layer(gm):
                bad.append(f"{m} (layer {layer(gm)}) imports {t} (layer {layer(gt)})")
            elif (gm, gt) in FORBIDDEN:
                bad.append(f"{m} imports {t}: {FORBIDDEN[(gm, gt)]}")
    return sorted(bad)


def test_the_source_tree_is_found():
    assert "ketacourse.pk.simulation" in MODULES and "ketacourse.widgets.base" in MODULES
    assert "ketacourse_tools.course" in MODULES
    assert GRAPH["ketacourse.pk.simulation"] >= {"ketacourse.pk.models", "ketacourse.pk.regimen"}


def test_no_import_cycles():
    """None at all: no list of tolerated cycles (the last two, ``exercises`` <-> ``hashed_checks`` and
    ``assignments.export`` <-> ``assignments.grade``, were removed by moving the shared pieces down,
    into ``feedback`` and into ``assignments.rows`` / ``assignments.notebook_file``)."""
    found = cycles(GRAPH)
    assert not found, "import cycles (imports inside functions count):\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_upward_imports():
    bad = upward(GRAPH)
    assert not bad, "imports against the layers of docs/architecture.md:\n" + "\n".join(bad)


def test_models_never_import_presentation():
    """The rule that keeps models free of presentation, stated on its own."""
    bad = [f"{m} imports {t}" for m, ts in GRAPH.items() if layer(group(m)) <= 1 and group(m) != "ketacourse"
           for t in ts if group(t) in PRESENTATION | {"tools"}]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("graph", "expect_cycle", "expect_upward"),
    [
        ({"ketacourse.pk.a": {"ketacourse.pk.b"}, "ketacourse.pk.b": {"ketacourse.pk.a"}}, True, False),
        ({"ketacourse.pk.a": {"ketacourse.widgets.base"}, "ketacourse.widgets.base": set()}, False, True),
        ({"ketacourse.units": {"ketacourse.pk.a"}, "ketacourse.pk.a": set()}, False, True),
        ({"ketacourse.checks.ch01": {"ketacourse.widgets.nmda"}, "ketacourse.widgets.nmda": set()}, False, True),
        ({"ketacourse.pk.a": {"ketacourse_tools.course"}, "ketacourse_tools.course": set()}, False, True),
        ({"ketacourse.pk.a": {"ketacourse.agreement.pk"}, "ketacourse.agreement.pk": set()}, False, True),
        ({"ketacourse.widgets.pk": {"ketacourse.pk.a"}, "ketacourse.pk.a": {"ketacourse.units"},
          "ketacourse.units": set()}, False, False),
    ],
)
def test_the_checks_catch_what_they_are_meant_to(graph, expect_cycle, expect_upward):
    assert bool(cycles(graph)) is expect_cycle
    assert bool(upward(graph)) is expect_upward


def test_a_function_level_import_counts(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from .simulation import simulate\n    return simulate\n")
    MODULES.setdefault("ketacourse.pk.m", path)
    try:
        assert "ketacourse.pk.simulation" in imports_of("ketacourse.pk.m", path)
    finally:
        MODULES.pop("ketacourse.pk.m", None)


def test_tools_and_tests_use_the_public_exercises_api():
    """``exercises.get(key)`` and ``NumericCheck.is_close``, not the private registry or ``_close``."""
    import re

    files = [*PACKAGES["ketacourse_tools"].rglob("*.py"), *(ROOT / "tests").rglob("*.py"),
             *(ROOT / "src" / "ketacourse" / "widgets").rglob("*.py"), *(ROOT / "src" / "ketacourse" / "checks").rglob("*.py")]
    this = Path(__file__).resolve()
    bad = [f"{p.relative_to(ROOT)}:{i}" for p in files if p.resolve() != this
           for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
           if re.search(r"\b_REGISTRY\b|\._close\(", line) and "test_exercises.py" not in p.name]
    assert not bad, "private exercise internals used:\n" + "\n".join(bad)
