"""Move every self-check's question, options, answer, explanation and feedback out of the
notebook into ``src/ketacourse/data/selfchecks/<stem>.toml`` (issue 22, item 3): the cell becomes
``SelfCheck.load("<stem>-<n>")``, so no notebook a learner opens shows the right option.
Idempotent (cells already calling ``SelfCheck.load`` are left alone; their entries are kept).

    python scripts/learner_selfchecks_to_data.py chapters/0N-*.ipynb

The cell's stored output (the rendered self-check) does not change, so no re-execution is needed.
"""
import ast
import json
import sys
import tomllib
from pathlib import Path

import nbformat

DATA = Path(__file__).resolve().parents[1] / "src" / "ketacourse" / "data" / "selfchecks"
FIELDS = ("question", "options", "answer", "explanation", "feedback")


def _toml(value) -> str:
    if isinstance(value, list):
        return "[\n" + "".join(f"    {json.dumps(v, ensure_ascii=False)},\n" for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _offsets(source: str) -> list[int]:
    starts, n = [], 0
    for line in source.splitlines(keepends=True):
        starts.append(n)
        n += len(line)
    return starts


def convert(path: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    stem = path.stem
    out = DATA / f"{stem}.toml"
    entries = tomllib.loads(out.read_text("utf-8")).get("selfcheck", []) if out.exists() else []
    used = {e["id"] for e in entries}
    n_new = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or "SelfCheck(" not in cell.source:
            continue
        tree = ast.parse(cell.source)
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Name) and node.func.id == "SelfCheck"]
        for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset), reverse=True):
            values = dict(zip(FIELDS, [ast.literal_eval(a) for a in call.args]))
            values.update({k.arg: ast.literal_eval(k.value) for k in call.keywords})
            k = 1
            while f"{stem}-{k}" in used:
                k += 1
            key = f"{stem}-{k}"
            used.add(key)
            entries.append({"id": key, **values})
            starts = _offsets(cell.source)
            a = starts[call.lineno - 1] + len(cell.source.splitlines(keepends=True)[call.lineno - 1].encode()[:call.col_offset].decode())
            b = starts[call.end_lineno - 1] + len(cell.source.splitlines(keepends=True)[call.end_lineno - 1].encode()[:call.end_col_offset].decode())
            cell.source = cell.source[:a] + f'SelfCheck.load("{key}")' + cell.source[b:]
            n_new += 1
    if n_new:
        entries.sort(key=lambda e: int(e["id"].rsplit("-", 1)[1]))
        DATA.mkdir(parents=True, exist_ok=True)
        body = [f"# Self-checks of chapters/{stem}.ipynb, loaded by SelfCheck.load(id). answer is the 0-based",
                "# index of the right option; feedback holds one message per option. Written by",
                "# scripts/learner_selfchecks_to_data.py; edit here, not in the notebook.", ""]
        for e in entries:
            body.append("[[selfcheck]]")
            body += [f"{f} = {_toml(e[f])}" for f in ("id", *FIELDS) if f in e]
            body.append("")
        out.write_text("\n".join(body), encoding="utf-8")
        nbformat.write(nb, path)
    return n_new


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(f"{p}: {convert(Path(p))} self-check(s) moved to data")
