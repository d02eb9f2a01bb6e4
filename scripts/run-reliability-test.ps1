#!/usr/bin/env pwsh
# The seed's reliability test under its original name, for PowerShell users (pwsh on Linux or macOS).
# Same as scripts/run-reliability-test.sh; replay a run with --seed N.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..')
bash scripts/setup.sh
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
node bin/sluice.js reliability @args
exit $LASTEXITCODE
