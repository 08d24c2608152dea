#!/usr/bin/env bash
# The sweep evidence (README "Sweeps"): `deltalora sweep` on SST-2 with all-MiniLM-L6-v2 under a 30-minute budget, trials
# scored on 20% of 8,000 training rows (carved, never dev), the best model scored once on SST-2 dev (872 rows).
#
#   test/DeltaLoRA.Bench/run-sweep-minilm.sh [OUT]     default OUT: artifacts/sweep-minilm
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${1:-artifacts/sweep-minilm}"
mkdir -p "$out"
bash build/fetch-model.sh minilm >/dev/null
dotnet build src/DeltaLoRA.Cli/DeltaLoRA.Cli.csproj -c Release --nologo -v q >/dev/null
export OMP_WAIT_POLICY=PASSIVE
uptime > "$out/load-before.txt"
dotnet src/DeltaLoRA.Cli/bin/Release/net10.0/deltalora.dll sweep \
  -d ../shared/data/glue/sst2/train.tsv --test-dataset ../shared/data/glue/sst2/dev.tsv \
  --model minilm --max-rows 8000 --max-seconds 1800 --seed 1 --out "$out/model.zip" --json \
  > "$out/result.json" 2> "$out/report.txt"
uptime > "$out/load-after.txt"
