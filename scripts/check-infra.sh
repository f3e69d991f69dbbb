#!/usr/bin/env bash
# Compiles and lints every Bicep template under infra/ with the real Bicep compiler, failing on any
# diagnostic: infra/bicepconfig.json raises the linter rules to errors, and compiler warnings
# (which bicepconfig cannot raise) are caught here. Writes the compiled template to
# .local/infra/main.json, which the tests in test/infra/ read.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bicep="$(bash scripts/install-bicep.sh)"
out_dir="$root/.local/infra"
mkdir -p "$out_dir"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

failed=0
run() {
  # $1: label; rest: command. Any output on stderr is a diagnostic (error or warning): fail.
  local label="$1"
  shift
  if ! "$@" 2>"$log"; then
    failed=1
  fi
  if [[ -s "$log" ]]; then
    failed=1
    echo "check-infra: $label:" >&2
    cat "$log" >&2
  fi
}

count="$(find infra -name '*.bicep' -type f | wc -l)"
if [[ "$count" -eq 0 ]]; then
  echo "check-infra: no .bicep files under infra/" >&2
  exit 1
fi

run "build infra/main.bicep" "$bicep" build infra/main.bicep --outfile "$out_dir/main.json"
# One process for every template (modules included, also any not referenced by main.bicep).
run "lint infra/**/*.bicep" "$bicep" lint --pattern 'infra/**/*.bicep'

if [[ $failed -ne 0 ]]; then
  echo "check-infra: FAILED (fix the diagnostics above; warnings count as errors)" >&2
  rm -f "$out_dir/main.json"
  exit 1
fi
echo "check-infra: $count templates built and linted clean; compiled template at .local/infra/main.json"
