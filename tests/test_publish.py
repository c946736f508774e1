"""Publishing the book: the GitHub Pages workflow, ``make publish`` and the book's own address.

The workflow is checked offline against GitHub's workflow schema as vendored by check-jsonschema
(``--builtin-schema vendor.github-workflows``), and a broken copy must fail the same check, so the
check is known to bite. The book's address comes from ``_config.yml``'s repository URL alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ketacourse_tools import site

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
CHECK_JSONSCHEMA = [sys.executable, "-m", "check_jsonschema"]


def _schema_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)


def _workflow() -> dict:
    # YAML 1.1 reads the key `on` as True.
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))
    return data


def test_workflow_matches_githubs_schema():
    proc = _schema_check(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("breakage", ["no runs-on", "unknown key", "bad permission"])
def test_schema_check_catches_a_broken_workflow(tmp_path, breakage):
    data = _workflow()
    if breakage == "no runs-on":
        del data["jobs"]["build"]["runs-on"]
    elif breakage == "unknown key":
        data["jobs"]["build"]["stepz"] = data["jobs"]["build"].pop("steps")
    else:
        data["permissions"]["pages"] = "publish"
    broken = tmp_path / "book.yml"
    broken.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    proc = _schema_check(broken)
    assert proc.returncode != 0, f"a workflow with {breakage} passed the schema check"


def test_workflow_builds_the_book_with_make_and_deploys_it_to_pages():
    data = _workflow()
    assert "main" in data["on"]["push"]["branches"]
    assert "workflow_dispatch" in data["on"]
    assert data["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build, deploy = data["jobs"]["build"], data["jobs"]["deploy"]
    runs = [step.get("run", "") for step in build["steps"]]
    assert any(run.startswith("make book") for run in runs), "the workflow must build with the README's make book"
    python = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])
    assert deploy["environment"]["name"] == "github-pages"


def test_book_address_comes_from_the_repository_url(tmp_path, monkeypatch):
    monkeypatch.delenv("KETACOURSE_BOOK_URL", raising=False)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    owner, name = config["repository"]["url"].rstrip("/").split("/")[-2:]
    assert site.book_url() == f"https://{owner.lower()}.github.io/{name}/"

    fork = tmp_path / "_config.yml"
    fork.write_text("repository:\n  url: https://github.com/SomeUni/keta-course/\n", encoding="utf-8")
    assert site.repository_url(fork) == "https://github.com/SomeUni/keta-course"
    assert site.book_url(fork) == "https://someuni.github.io/keta-course/"
    fork.write_text("repository:\n  url: https://github.com/someuni/someuni.github.io\n", encoding="utf-8")
    assert site.book_url(fork) == "https://someuni.github.io/"

    monkeypatch.setenv("KETACOURSE_BOOK_URL", "https://teaching.example.edu/ketamine")
    assert site.book_url(fork) == "https://teaching.example.edu/ketamine/"


def test_book_address_errors_name_the_setting(tmp_path, monkeypatch):
    monkeypatch.delenv("KETACOURSE_BOOK_URL", raising=False)
    elsewhere = tmp_path / "_config.yml"
    elsewhere.write_text("repository:\n  url: https://gitlab.example.org/course/keta\n", encoding="utf-8")
    with pytest.raises(ValueError, match="KETACOURSE_BOOK_URL"):
        site.book_url(elsewhere)
    elsewhere.write_text("title: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="repository.url"):
        site.repository_url(elsewhere)
    monkeypatch.setenv("KETACOURSE_BOOK_URL", "teaching.example.edu/ketamine")
    with pytest.raises(ValueError, match="KETACOURSE_BOOK_URL must start with"):
        site.book_url()


def test_landing_page_says_where_the_book_lives():
    text = (ROOT / "chapters" / "index.md").read_text(encoding="utf-8")
    assert "{{ book_link }}" in text
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert "ketacourse_tools.sphinx_site" in config


def test_make_publish_copies_the_built_book(tmp_path):
    dest = tmp_path / "www"
    proc = subprocess.run(["make", "-n", "publish", f"DEST={dest}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "book" in proc.stdout and "_build/html" in proc.stdout and str(dest) in proc.stdout
    usage = subprocess.run(["make", "publish"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert usage.returncode != 0 and "usage: make publish DEST=" in usage.stdout + usage.stderr
