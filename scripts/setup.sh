#!/usr/bin/env bash
# Install everything the pipeline and its tests need on a fresh Debian/Ubuntu machine:
# Java (for Spark), a virtualenv with the project, and KenLM's lmplz trainer (cached).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1; then
  echo "setup: installing a Java runtime for Spark (17, else the distribution's default, e.g. 21)" >&2
  apt-get update -q
  apt-get install -y -q openjdk-17-jre-headless || apt-get install -y -q default-jre-headless
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q -e ".[test]"

if [ -f scripts/build_kenlm.sh ]; then
  bash scripts/build_kenlm.sh
fi
echo "setup: done (activate with: . .venv/bin/activate)" >&2
