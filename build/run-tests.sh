#!/usr/bin/env bash
# Runs the test projects and closes with one plain summary line ("N passed, N failed, N skipped").
set -uo pipefail
cd "$(dirname "$0")/.."
results=artifacts/test-results
rm -rf "$results"
dotnet test Microsoft.ML.DeltaLoRA.sln -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?
python_free_count() { grep -ho "$1=\"[0-9]*\"" "$results"/*.trx 2>/dev/null | grep -o '[0-9]*' | awk '{s+=$1} END {print s+0}'; }
passed=$(python_free_count passed)
failed=$(python_free_count failed)
total=$(python_free_count total)
executed=$(python_free_count executed)
skipped=$((total - executed))
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
