#!/usr/bin/env bash
# Runs the test projects and closes with one plain summary line ("N passed, N failed, N skipped").
# After the solution's tests: packs the library into artifacts/packages and runs test/PackageConsumer, a project outside the
# solution that installs that package from the folder feed as a user's app would (fit, save, load, predict; package metadata).
set -uo pipefail
cd "$(dirname "$0")/.."
results=artifacts/test-results
rm -rf "$results"
dotnet test Microsoft.ML.DeltaLoRA.sln -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?

# The consumer restores the package into its own folder (see its csproj), emptied first so that a re-pack of the same version is used.
rm -rf artifacts/packages artifacts/package-consumer/packages/microsoft.ml.deltalora
if dotnet pack src/Microsoft.ML.DeltaLoRA -c Release --no-build --nologo -v quiet -o artifacts/packages; then
  dotnet test test/PackageConsumer -c Release --nologo -v quiet \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" || status=1
else
  echo "dotnet pack of src/Microsoft.ML.DeltaLoRA failed" >&2
  status=1
fi

python_free_count() { grep -ho "$1=\"[0-9]*\"" "$results"/*.trx 2>/dev/null | grep -o '[0-9]*' | awk '{s+=$1} END {print s+0}'; }
passed=$(python_free_count passed)
failed=$(python_free_count failed)
total=$(python_free_count total)
executed=$(python_free_count executed)
skipped=$((total - executed))
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
