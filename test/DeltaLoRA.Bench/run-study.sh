#!/usr/bin/env bash
# The accuracy study behind the README's results: every task, method, learning-rate selection and seed, plus the λ/K
# sensitivity on SST-2. The runs are split over two processes (one per core, one libtorch thread each) writing to
# OUT/part-a and OUT/part-b; their CSVs are then merged into OUT, where one `study` and one `sensitivity` call find
# every run already done and write the reports. Run it again to resume after an interruption.
#
#   test/DeltaLoRA.Bench/run-study.sh [OUT]     default OUT: artifacts/study; about 1 h 50 min on 2 idle cores (3.1 CPU-hours)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${1:-artifacts/study}"
mkdir -p "$out/part-a" "$out/part-b"

build/setup.sh --with-model
dotnet build test/DeltaLoRA.Bench/DeltaLoRA.Bench.csproj -c Release --nologo -v q
bench=(dotnet test/DeltaLoRA.Bench/bin/Release/net10.0/deltalora-bench.dll)
# With the default policy, libtorch's idle threads spin and slow the other process down (see the Benchmarks README).
export OMP_WAIT_POLICY=PASSIVE

echo "run-study: RTE, CoLA and STS-B in $out/part-a; SST-2, MRPC and the sensitivity grid in $out/part-b (logs beside them)."
"${bench[@]}" study --tasks rte,cola,stsb --out "$out/part-a" > "$out/part-a.log" 2>&1 &
part_a=$!
{ "${bench[@]}" study --tasks sst2,mrpc --out "$out/part-b" \
    && "${bench[@]}" sensitivity --task sst2 --out "$out/part-b"; } > "$out/part-b.log" 2>&1 &
part_b=$!
failed=0
wait "$part_a" || { echo "run-study: part a failed; see $out/part-a.log" >&2; failed=1; }
wait "$part_b" || { echo "run-study: part b failed; see $out/part-b.log" >&2; failed=1; }
[[ $failed -eq 0 ]] || exit 1

# One header, then every line of both parts once (a run can only be in one part; earlier merges are kept).
for csv in runs.csv losses.csv; do
  awk 'FNR == 1 && NR != 1 { next } !seen[$0]++' "$out/part-a/$csv" "$out/part-b/$csv" $( [[ -f "$out/$csv" ]] && echo "$out/$csv" ) \
    > "$out/$csv.merged"
  mv "$out/$csv.merged" "$out/$csv"
done
"${bench[@]}" study --out "$out"
"${bench[@]}" sensitivity --task sst2 --out "$out"
