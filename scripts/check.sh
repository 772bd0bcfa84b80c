#!/usr/bin/env bash
# Quick local gate before a commit: format, typecheck, lint (CI runs the full .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
npx biome check --write . >/dev/null 2>&1 || true
npm run -s typecheck
npm run -s lint
