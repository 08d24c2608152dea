#!/usr/bin/env bash
# Markdown tables of run-minilm-defaults.sh's runs (OUT/learning-rate/runs.csv, OUT/pooling/*/runs.csv): every selection run's
# validation accuracy, and the dev accuracy of the run at the chosen rate.
#   test/DeltaLoRA.Bench/summarize-minilm-defaults.sh [OUT] > summary.md
set -euo pipefail
out="${1:-artifacts/minilm-defaults}"
# runs.csv columns: task,method,phase,lr,seed,lambda,k,steps,warmup,train_rows,val_rows,dev_rows,val_score,dev_score,...,train_seconds(20)
table() {
  awk -F, -v label="$2" 'NR > 1 {
      key = label $2
      if ($3 == "select") { val[key, $4] = $13; secs[key, $4] = $20; lrs[key] = lrs[key] " " $4 }
      else if ($3 == "final") { chosen[key] = $4; dev[key] = $14 }
      keys[key] = 1; name[key] = label; method[key] = $2
    }
    END {
      for (key in keys) {
        n = split(lrs[key], grid, " ")
        line = "| " name[key] " | " method[key] " |"
        for (i = 1; i <= n; i++) line = line sprintf(" %s: %.2f (%ds)%s", grid[i], 100 * val[key, grid[i]], secs[key, grid[i]], i < n ? "," : "")
        line = line sprintf(" | %s | %s |", chosen[key] == "" ? "—" : chosen[key], dev[key] == "" ? "—" : sprintf("%.2f", 100 * dev[key]))
        print line
      }
    }' "$1"
}
echo "| model / pooling | method | validation accuracy ×100 per learning rate (training seconds) | chosen rate | dev accuracy ×100 |"
echo "|---|---|---|---|---|"
[[ -f "$out/learning-rate/runs.csv" ]] && table "$out/learning-rate/runs.csv" "minilm (mean)" | sort
for folder in "$out"/pooling/*/; do
  [[ -f "$folder/runs.csv" ]] && table "$folder/runs.csv" "$(basename "$folder")"
done
