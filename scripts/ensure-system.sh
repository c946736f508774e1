#!/usr/bin/env bash
# Install the system packages the course needs on a Debian/Ubuntu machine, only if missing.
#   python    the venv module (Debian ships it separately as python3-venv)
#   chromium  Debian's headless Chromium, used by the real-browser tests
#   grader    bubblewrap (the sandbox every submission runs in) and setpriv (util-linux)
#   grader-podman  Podman and runc, for make grade BACKEND=podman and make test-grading-podman (not part
#             of grader: installing them took 80 s + 38 s on the course's 2-core machine, more than CI
#             should spend on a backend bubblewrap already covers; runc because Podman's default
#             runtime, crun, refuses hosts with cgroup v1 "hybrid" mounts)
# Elsewhere it prints what to install instead.
set -euo pipefail

need=()
for what in "$@"; do
  case "$what" in
    python)
      if ! ${PYTHON:-python3} -c "import ensurepip, venv" >/dev/null 2>&1; then need+=(python3-venv); fi ;;
    chromium)
      if [ -z "${KETACOURSE_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi ;;
    grader)
      if ! command -v bwrap >/dev/null 2>&1; then need+=(bubblewrap); fi
      if ! command -v setpriv >/dev/null 2>&1; then need+=(util-linux); fi ;;
    grader-podman)
      if ! command -v podman >/dev/null 2>&1; then need+=(podman); fi
      if ! command -v runc >/dev/null 2>&1; then need+=(runc); fi ;;
    *) echo "ensure-system.sh: unknown component '$what'" >&2; exit 2 ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install: ${need[*]} (or set KETACOURSE_CHROMIUM to a Chromium/Chrome binary)." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "Please install as root: apt-get install ${need[*]}" >&2; exit 1; fi
fi
echo "Installing system packages: ${need[*]}"
install() { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null; }
# The package lists the machine already has are tried first; only if they cannot serve (none yet, or
# stale) is `apt-get update` run, then the install again.
if ! install 2>/dev/null; then
  $sudo apt-get update -qq
  install
fi
