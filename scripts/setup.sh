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
# The venv's own pip, not upgraded: what a user has (a test installs it the same way, non-editable).
python -m pip install -q -e ".[test]"

bash scripts/build_kenlm.sh
for tool in build/kenlm/bin/*; do   # lmplz and build_binary on the venv's PATH
  ln -sf "$PWD/$tool" .venv/bin/
done
echo "setup: done (activate with: . .venv/bin/activate)" >&2
