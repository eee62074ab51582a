#!/usr/bin/env bash
# Regenerates every figure and table of docs/validation.md: builds a demo database with the
# bundled real data in a temporary folder, then runs each validation script.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
url="sqlite:///$work/demo.db"
FANGKONG_DATABASE_URL="$url" FANGKONG_VAR_DIR="$work/var" .venv/bin/fangkong demo --no-serve
for script in rt forecast nowcast; do
  .venv/bin/python "scripts/validation/$script.py" --database-url "$url"
done
for script in delays growth seir early_warning; do
  .venv/bin/python "scripts/validation/$script.py"
done
