# ketacourse — build the book, run every check, open the course.
# Two commands do all set-up on a fresh machine: `make book` and `make test`.

SHELL   := /bin/bash
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.ketacourse-installed
BOOK    := _build/html/index.html
# Optional: your university's JupyterHub, for the book's JupyterHub launch button
# (e.g. make book HUB_URL=https://hub.example.edu). Binder and Colab buttons need nothing.
HUB_URL ?=
BOOK_CONFIG := $(if $(HUB_URL),_build/_config.hub.yml,_config.yml)

.PHONY: help venv book book-student test test-fast test-floor floor-venv binder-pins lab student bench bench-browser system clean assignment grade test-grading-podman release pack publish

help:
	@echo "make book     build the HTML book (creates .venv, installs, executes every chapter)"
	@echo "              add HUB_URL=https://your.hub to get a JupyterHub launch button"
	@echo "make test     run every check: unit tests, nbval, book build, browser tests, student and binder checks"
	@echo "make test-fast  unit, data, architecture and notebook-structure tests (no notebook run, no browser)"
	@echo "make lab      open the course in JupyterLab"
	@echo "make student  write student notebooks (no solutions) to build/student/"
	@echo "make book-student  build a course book without solutions in build/student-book/"
	@echo "make test-floor  the widget contract test at the lowest dependency versions pyproject.toml declares (make test runs it too)"
	@echo "make floor-venv  only build build/venv-floor for that test (CI builds it while make venv runs)"
	@echo "make publish DEST=host:path  build the book and copy it to your own web host (GitHub Pages: .github/workflows/book.yml)"
	@echo "make bench    print widget and PK benchmarks"
	@echo "make bench-browser  key press to new figure in real JupyterLab + Chromium (about 8 min)"
	@echo "make assignment CHAPTER=2   otter assignment: student notebook, autograder.zip, solutions (build/assignments/)"
	@echo "make grade SUBMISSIONS=dir  grade a folder of submissions, each in a sandbox, into dir/grades.csv + dir/lms/"
	@echo "              [ROSTER=roster.csv DUE=2026-12-14T09:00 LATE_PENALTY=10 MANUAL=dir/manual/written-marks.csv JOBS=0]"
	@echo "              [BACKEND=auto|bwrap|podman|docker: the sandbox; auto = bubblewrap, else Podman, else Docker]"
	@echo "make test-grading-podman  the grading red-team suite under bubblewrap and Podman (installs Podman)"
	@echo "make release [TAG=v2026.1]  student release for a student branch / nbgitpuller (build/release/)"
	@echo "make pack     instructor pack for every chapter: schedule, answer key, session plan, figures (build/pack/)"

# One install, no dependency resolution: requirements.txt pins every package the venv holds (its
# complete closure), so --no-deps installs exactly it and `pip check` then proves nothing is missing.
# tools/ketacourse_tools/installer.py installs it with uv (pinned in requirements-uv.txt, kept under
# build/uv/, outside the venv): about 7 s where pip took 85 s (2026-12-07); with pip if uv cannot be had. Neither
# byte-compiles; compileall does that on every core afterwards (the grader's sandbox sees the venv
# read-only and could not cache what it compiles), leaving out the libraries' own test folders, which
# nothing of the course imports: 2,570 of 10,155 files; 23 s instead of 39 s on 2 cores.
# Left out of requirements.txt on purpose (see its header) and removed from a venv made before that.
NOT_WANTED := rfc3987-syntax lark
$(STAMP): requirements.txt requirements-uv.txt pyproject.toml tools/pyproject.toml scripts/install_lab_settings.py scripts/lab-settings/overrides.json scripts/lab-custom/custom.css
	@bash scripts/ensure-system.sh python
	$(PYTHON) -m venv $(VENV)
	$(PYTHON) tools/ketacourse_tools/installer.py --python $(BIN)/python -r requirements.txt -e . -e tools
	$(BIN)/python -m pip uninstall --quiet --yes $(NOT_WANTED) 2>/dev/null || true
	$(BIN)/python -m compileall -q -j 0 -x "/tests?/" $(VENV)/lib >/dev/null
	$(BIN)/python -m pip check
	$(BIN)/python scripts/install_lab_settings.py
	@touch $(STAMP)

venv: $(STAMP)

system:
	@bash scripts/ensure-system.sh python chromium grader

book: venv
ifneq ($(HUB_URL),)
	$(BIN)/python scripts/book_config.py "$(HUB_URL)" _config.yml $(BOOK_CONFIG)
endif
	$(BIN)/jupyter-book build . -W -n --keep-going --config $(BOOK_CONFIG)
	@echo
	@echo "The book is built. Open: file://$(CURDIR)/$(BOOK)"

# Everything in one pytest run: nbval over every chapter (run first: each chapter is executed once
# and its outputs reused), unit and data tests, the book and the student book built from those
# outputs with -W -n (zero warnings), real-browser tests in JupyterLab and in the built book, the
# student-version, assignment and binder checks. None is skipped. --durations: where the time goes.
# Both cores (pytest-xdist, TEST_WORKERS, default one per core): `--dist loadgroup` keeps each
# chapter's nbval cells on one kernel and the tests of one built book or one JupyterLab on one
# worker (tests/conftest.py, xdist_group_of); the course's scheduler there hands out the JupyterLab
# tests first (wall-clock budgets; the other worker runs at lower priority meanwhile), then the chapters
# and the rest, longest first (`--no-loadscope-reorder` is harmless: the scheduler sets the order).
TEST_WORKERS ?= auto
test: venv system
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder \
	  --nbval-lax --nbval-sanitize-with tests/nbval-sanitize.cfg --durations=30 tests chapters

# binder/requirements.txt (Binder's share of requirements.txt) and every chapter's Colab install cell
# (the package plus its runtime stack), versions taken from requirements.txt.
binder-pins: venv
	$(BIN)/python -m ketacourse_tools.pins

# The edit loop: everything that needs no notebook kernel, book build or browser (markers `slow`
# and `browser`; see tests/conftest.py).
test-fast: venv
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not slow and not browser" tests

# The declared dependency floors are real: build/venv-floor holds exactly requirements-floor.txt (the lowest
# versions pyproject.toml allows, with their closure) and runs the widget contract test and the
# public-matplotlib check (tests/test_dependency_floor.py; `make test` runs it too, so CI does).
test-floor: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_dependency_floor.py

# Only build/venv-floor (the test reuses it while requirements-floor.txt and the Python are unchanged).
# Standard library and the system Python's pip: it needs no course venv, so CI runs it beside `make venv`.
floor-venv:
	@bash scripts/ensure-system.sh python
	$(PYTHON) tools/ketacourse_tools/floor.py

# scripts/lab-settings/overrides.json: no "official Jupyter news?" toast, no update check, and the
# notebook not windowed (windowingMode none: jupyterlab-myst's idle re-render loop stops).
# `make venv` installs both files into the venv for any `jupyter lab` (scripts/install_lab_settings.py).
# scripts/lab-custom/custom.css: MyST citations as author-year text (jupyterlab-myst cannot read
# the .bib); installed as the venv's Jupyter server custom.css (a ~/.jupyter/custom/custom.css wins).
CUSTOM_CSS := $(shell $(BIN)/python -c "import jupyter_server, os; print(os.path.join(os.path.dirname(jupyter_server.__file__), 'static', 'custom', 'custom.css'))" 2>/dev/null)
lab: venv
	@if [ -n "$(CUSTOM_CSS)" ]; then mkdir -p "$(dir $(CUSTOM_CSS))" && cp scripts/lab-custom/custom.css "$(CUSTOM_CSS)"; fi
	$(BIN)/jupyter lab --LabApp.app_settings_dir=scripts/lab-settings --LabApp.news_url=None \
	  --LabApp.custom_css=True chapters/01-nmda-receptor.ipynb

student: venv
	$(BIN)/python -m ketacourse_tools.student chapters build/student
	@echo "Student notebooks written to build/student/"

book-student: venv
	$(BIN)/python -m ketacourse_tools.student --book --stored-outputs . build/student-book
	$(BIN)/jupyter-book build build/student-book -W -n --keep-going
	@echo
	@echo "The solution-free book is built. Open: file://$(CURDIR)/build/student-book/_build/html/index.html"

# The book on your own web host (GitHub repositories publish it with .github/workflows/book.yml).
# DEST is a folder or an rsync/ssh target; set KETACOURSE_BOOK_URL to the address it will have,
# so the landing page and the canonical links name it. Also leaves build/ketacourse-book.tar.gz.
DEST ?=
publish:
	@test -n "$(DEST)" || { echo "usage: make publish DEST=folder-or-host:path [KETACOURSE_BOOK_URL=https://...]"; exit 2; }
	$(MAKE) book
	@mkdir -p build
	tar -czf build/ketacourse-book.tar.gz -C _build html
	@case "$(DEST)" in \
	  *:*) rsync -a --delete _build/html/ "$(DEST)/" ;; \
	  *) mkdir -p "$(DEST)" && cp -a _build/html/. "$(DEST)/" ;; \
	esac
	@echo "Published to $(DEST) (archive: build/ketacourse-book.tar.gz)"

bench: venv
	$(BIN)/python benchmarks/bench_widgets.py
	@if [ -f benchmarks/bench_pk.py ]; then $(BIN)/python benchmarks/bench_pk.py; fi

bench-browser: venv system
	$(BIN)/python benchmarks/bench_browser.py

# Instructors: graded assignments (otter-grader), grading without Docker, releases, the pack.
CHAPTER ?= 2
SUBMISSIONS ?=
TAG ?=
REPO_URL ?=
SEED ?=
ROSTER ?=
JOBS ?= 0
DUE ?=
LATE_PENALTY ?=
MANUAL ?=
BACKEND ?= auto
assignment: venv
	$(BIN)/python -m ketacourse_tools.assignments assign $(CHAPTER) $(if $(TAG),--ref $(TAG)-student) $(if $(REPO_URL),--repo-url $(REPO_URL)) $(if $(SEED),--seed $(SEED)) $(if $(ROSTER),--roster $(ROSTER))

grade: venv
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-of-notebooks [CHAPTER=N]"; exit 2; }
	@bash scripts/ensure-system.sh grader
	$(BIN)/python -m ketacourse_tools.assignments grade "$(SUBMISSIONS)" $(if $(filter command line,$(origin CHAPTER)),--chapter $(CHAPTER)) --jobs $(JOBS) --backend $(BACKEND) \
	  $(if $(ROSTER),--roster $(ROSTER)) $(if $(DUE),--due $(DUE)) $(if $(LATE_PENALTY),--late-penalty $(LATE_PENALTY)) $(if $(MANUAL),--manual $(MANUAL))

# The red-team suite against the Podman backend too (not in make test: installing Podman costs CI
# more than a minute; the Docker command line is unit-tested in tests/test_grading_backends.py).
test-grading-podman: venv
	@bash scripts/ensure-system.sh grader grader-podman
	KETACOURSE_GRADER_BACKENDS=bwrap,podman $(BIN)/python -m pytest tests/test_grading_redteam.py tests/test_grading_backends.py

release: venv
	$(BIN)/python -m ketacourse_tools.assignments release --out build/release $(if $(TAG),--tag $(TAG)) $(if $(SEED),--seed $(SEED))

pack: venv
	$(BIN)/python -m ketacourse_tools.assignments pack --out build/pack

clean:
	rm -rf _build build .pytest_cache
