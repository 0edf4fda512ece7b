#!/usr/bin/env bash
# Build the wheel, install it into a fresh virtual environment (runtime dependencies only) and run what a new user
# would: `ketasim examples`, then one example copied out of the installed package. Nothing is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$PYTHON" -m venv "$work/build"
"$work/build/bin/python" -m pip install --quiet --upgrade pip
"$work/build/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" .
wheel="$(ls "$work"/dist/ketasim-*.whl)"
echo "built $(basename "$wheel")"

"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip install --quiet "$wheel"
cd "$work"  # away from the source tree: everything below comes from the installed wheel
"$work/venv/bin/ketasim" examples
"$work/venv/bin/ketasim" examples single-infusion --out "$work/examples"
"$work/venv/bin/ketasim" simulate "$work/examples/single-infusion.yaml" --out "$work/out" --patients 20
test -s "$work/out/timecourses.nc" && test -s "$work/out/plot.html"
echo "the installed wheel listed its examples and ran single-infusion.yaml"
