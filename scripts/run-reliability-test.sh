#!/usr/bin/env bash
# The seed's reliability test (its ./scripts/run-reliability-test.ps1), for bash: faults while the
# input flows, takeover times, every id exactly once. Replay a run with --seed N; the long run:
#   ./scripts/run-reliability-test.sh --messages 10000000 --kills 20
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/sluice.js reliability "$@"
