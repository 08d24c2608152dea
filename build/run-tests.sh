#!/usr/bin/env bash
# Runs the test projects and closes with one plain summary line ("N passed, N failed, N skipped").
# After the solution's tests: packs the library and the deltalora tool into artifacts/packages and runs test/PackageConsumer, a
# project outside the solution that installs them from the folder feed as a user would: the library as a package reference (fit,
# save, load, predict; package metadata; and, through its ScoringOnly app built from the same feed without TorchSharp-cpu, scoring
# the ONNX Runtime zip it saved), the tool with `dotnet tool install --tool-path` (--help, train, predict).
set -uo pipefail
cd "$(dirname "$0")/.."
results=artifacts/test-results
rm -rf "$results"
dotnet test Microsoft.ML.DeltaLoRA.sln -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?

# The consumer restores the package into its own folder (see its csproj), emptied first so that a re-pack of the same version is used.
rm -rf artifacts/packages artifacts/package-consumer/packages/microsoft.ml.deltalora
packed=1
dotnet pack src/Microsoft.ML.DeltaLoRA -c Release --no-build --nologo -v quiet -o artifacts/packages \
  || { echo "dotnet pack of src/Microsoft.ML.DeltaLoRA failed" >&2; packed=0; }
# The tool is packed for this machine's platform only: its package carries that platform's libtorch (about 130 MB), and the
# other platforms' packages would only cost time here. TorchSharp-cpu ships linux-x64, win-x64 and osx-arm64.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) tool_rid=linux-x64 ;;
  Darwin-arm64) tool_rid=osx-arm64 ;;
  MINGW*-x86_64|MSYS*-x86_64|CYGWIN*-x86_64) tool_rid=win-x64 ;;
  *) tool_rid="" ;;
esac
if [[ -n "$tool_rid" ]]; then
  started=$SECONDS
  if dotnet pack src/DeltaLoRA.Cli -c Release --nologo -v quiet -o artifacts/packages -p:ToolPackageRuntimeIdentifiers="$tool_rid"; then
    size=$(du -m "artifacts/packages/deltalora.$tool_rid".*.nupkg | awk '{s+=$1} END {print s+0}')
    echo "deltalora tool: packed for $tool_rid in $((SECONDS - started)) s ($size MB)"
  else
    echo "dotnet pack of src/DeltaLoRA.Cli (the deltalora tool, $tool_rid) failed" >&2
    packed=0
  fi
else
  echo "deltalora tool: not packed, TorchSharp-cpu has no libtorch for $(uname -s)-$(uname -m) (the tool's test skips)"
fi
if [[ $packed -eq 1 ]]; then
  dotnet test test/PackageConsumer -c Release --nologo -v quiet \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" || status=1
else
  status=1
fi

python_free_count() { grep -ho "$1=\"[0-9]*\"" "$results"/*.trx 2>/dev/null | grep -o '[0-9]*' | awk '{s+=$1} END {print s+0}'; }
passed=$(python_free_count passed)
failed=$(python_free_count failed)
total=$(python_free_count total)
executed=$(python_free_count executed)
skipped=$((total - executed))
# CI shows the end of this output: the failed tests' names go there, whatever the console logger printed before.
failed_names=$(grep -h '<UnitTestResult [^>]*outcome="Failed"' "$results"/*.trx 2>/dev/null \
  | grep -o 'testName="[^"]*"' | sed -e 's/^testName="//' -e 's/"$//' -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g')
[[ -z "$failed_names" ]] || { echo "failed tests:"; sed 's/^/  /' <<< "$failed_names"; }
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
