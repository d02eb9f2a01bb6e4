#!/usr/bin/env bash
# The seed's stress test (its ./scripts/run-stress-test.ps1), for bash. Honors the seed's variables:
#   STRESS_TEST_USE_KAFKA_SOURCE=true SIMULATOR_NUM_MESSAGES=1000000 ./scripts/run-stress-test.sh
# Extra arguments go to `sluice stress` (e.g. --taskmanagers 20 --sink kafka:out --group-protocol classic).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/sluice.js stress "$@"
