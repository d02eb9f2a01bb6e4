#!/usr/bin/env pwsh
# The seed's stress test under its original name, for PowerShell users (pwsh on Linux or macOS).
# Same as scripts/run-stress-test.sh; honors STRESS_TEST_USE_KAFKA_SOURCE and SIMULATOR_* variables.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..')
bash scripts/setup.sh
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
node bin/sluice.js stress @args
exit $LASTEXITCODE
