#!/usr/bin/env bash
# Markdown table of run-study-minilm.sh's rank sweep: per task, method and rank r, the learning rate chosen on validation and
# the dev score (mean ± sd over the final seeds, ×100). r 8 is the main study (OUT/main), the other ranks OUT/rank/r{R}-{task}.
#   samples/DeltaLoRA.Bench/summarize-minilm-rank.sh [OUT] > OUT/rank/summary.md
set -euo pipefail
out="${1:-artifacts/study-minilm}"
# runs.csv columns: task(1),method(2),phase(3),lr(4),seed(5),...,val_score(13),dev_score(14),...,train_seconds(20)
rows() { # rows RANK FILE TASK
  [[ -f "$2" ]] || return 0
  awk -F, -v r="$1" -v task="$3" 'NR > 1 && $1 == task && $3 == "final" && ($2 == "DeltaLoRA" || $2 == "LoRA") {
      key = $2; n[key]++; s[key] += 100 * $14; ss[key] += (100 * $14) ^ 2; lr[key] = $4; val[key] = $13; secs[key] += $20
    }
    END {
      for (key in n) {
        mean = s[key] / n[key]; sd = n[key] > 1 ? sqrt((ss[key] - n[key] * mean ^ 2) / (n[key] - 1)) : 0
        printf "| %s | %s | %d | %s | %.2f | %.2f ± %.2f (%d) | %.0f |\n", task, key, r, lr[key], 100 * val[key], mean, sd, n[key], secs[key] / n[key]
      }
    }' "$2"
}
echo "| task | method | r | chosen lr | validation ×100 (seed 1) | dev ×100, mean ± sd (seeds) | train s per run |"
echo "|---|---|---|---|---|---|---|"
for task in sst2 mrpc cola; do
  for r in 1 2 4 8 16; do
    if [[ $r == 8 ]]; then rows 8 "$out/main/runs.csv" "$task"; else rows "$r" "$out/rank/r$r-$task/runs.csv" "$task"; fi
  done | sort -t'|' -k3,3 -k4,4n
done
