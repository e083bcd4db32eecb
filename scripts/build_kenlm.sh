#!/usr/bin/env bash
# Build KenLM's trainer (lmplz) and build_binary from the PyPI `kenlm` source package.
#
# The binaries are not on PyPI or in Debian; the sdist carries their C++ source. They are
# cached under build/kenlm/bin/ (gitignored), so a rerun returns at once.
# Usage: bash scripts/build_kenlm.sh            (KENLM_BIN_DIR overrides the cache location)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${KENLM_BIN_DIR:-$ROOT/build/kenlm/bin}"
KENLM_VERSION="${KENLM_VERSION:-0.3.0}"

if [[ -x "$BIN_DIR/lmplz" && -x "$BIN_DIR/build_binary" ]]; then
  echo "kenlm: lmplz and build_binary already built in $BIN_DIR"
  exit 0
fi

# Debian build dependencies (the machine runs as root in CI; skip if already present).
need_apt=0
for probe in cmake g++ /usr/include/boost/program_options.hpp /usr/include/boost/thread.hpp \
             /usr/include/eigen3 /usr/include/zlib.h /usr/include/bzlib.h /usr/include/lzma.h; do
  if [[ "$probe" == /* ]]; then [[ -e "$probe" ]] || need_apt=1; else command -v "$probe" >/dev/null || need_apt=1; fi
done
if [[ $need_apt == 1 ]]; then
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq cmake g++ \
    libboost-program-options-dev libboost-system-dev libboost-thread-dev libboost-test-dev \
    libeigen3-dev zlib1g-dev libbz2-dev liblzma-dev >/dev/null
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PY="python3"; [[ -x "$ROOT/.venv/bin/python" ]] && PY="$ROOT/.venv/bin/python"
PIP="${PIP:-$PY -m pip}"
# --no-binary kenlm: the source distribution (the only one holding lmplz's source);
# build requirements of the sdist's metadata step still come as wheels.
$PIP download --quiet --disable-pip-version-check --no-deps --no-binary kenlm -d "$WORK" "kenlm==$KENLM_VERSION"
tar -xzf "$WORK"/kenlm-*.tar.gz -C "$WORK"
SRC="$(find "$WORK" -maxdepth 1 -type d -name 'kenlm-*' | head -n 1)"
mkdir -p "$SRC/build"
(
  cd "$SRC/build"
  cmake .. -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-w >/dev/null
  make -j"$(nproc)" lmplz build_binary >/dev/null
)
mkdir -p "$BIN_DIR"
cp "$SRC/build/bin/lmplz" "$SRC/build/bin/build_binary" "$BIN_DIR/"
echo "kenlm: built lmplz and build_binary into $BIN_DIR"
