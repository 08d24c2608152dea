#!/usr/bin/env bash
# Markdown table of run-study-minilm.sh's main study from its runs.csv files (the merged OUT/main/runs.csv, or while stage 1
# still runs, OUT/part-a/runs.csv and OUT/part-b/runs.csv): per task and method, the learning rate chosen on validation, the
# best validation score, the dev score of the final seeds (mean ± sd, ×100) and the training seconds per run; the published
# MiniLM-L6xH384 full fine-tuning numbers beside each task (MRPC's is accuracy; its dev score is the mean of accuracy and F1).
# Runs not finished yet are absent.
#   samples/DeltaLoRA.Bench/summarize-minilm-main.sh artifacts/study-minilm/part-a/runs.csv artifacts/study-minilm/part-b/runs.csv
set -euo pipefail
[[ $# -gt 0 ]] || { echo "usage: summarize-minilm-main.sh RUNS.CSV [RUNS.CSV ...]" >&2; exit 2; }
echo "| task (published, full FT) | method | chosen lr | validation ×100 | dev ×100, mean ± sd (seeds) | dev accuracy ×100 | train s per final run |"
echo "|---|---|---|---|---|---|---|"
# runs.csv columns: task(1),method(2),phase(3),lr(4),seed(5),...,val_score(13),dev_score(14),accuracy(15),...,train_seconds(20)
awk -F, 'FNR == 1 { next }
  $3 == "select" { key = $1 "|" $2; if (!(key in best) || $13 > best[key]) best[key] = $13 }
  $3 == "final" && $14 != "" {
    key = $1 "|" $2; n[key]++; s[key] += 100 * $14; ss[key] += (100 * $14) ^ 2; lr[key] = $4; secs[key] += $20; seen[key] = 1
    if ($15 != "") { na[key]++; acc[key] += 100 * $15 }
  }
  $3 == "select" { seen[$1 "|" $2] = 1 }
  END {
    published["sst2"] = "SST-2 (91.5)"; published["mrpc"] = "MRPC (88.9)"; published["cola"] = "CoLA (47.5)"
    published["rte"] = "RTE (68.8)"; published["stsb"] = "STS-B (—)"
    for (key in seen) {
      split(key, part, "|")
      task = (part[1] in published) ? published[part[1]] : part[1]
      if (key in n) {
        mean = s[key] / n[key]; sd = n[key] > 1 ? sqrt((ss[key] - n[key] * mean ^ 2) / (n[key] - 1)) : 0
        printf "| %s | %s | %s | %s | %.2f ± %.2f (%d) | %s | %.0f |\n", task, part[2], lr[key], (key in best) ? sprintf("%.2f", 100 * best[key]) : "—", mean, sd, n[key], (key in na) ? sprintf("%.2f", acc[key] / na[key]) : "—", secs[key] / n[key]
      } else {
        printf "| %s | %s | (choosing) | %.2f so far | — | — | — |\n", task, part[2], 100 * best[key]
      }
    }
  }' "$@" | sort -t'|' -k2,2 -k3,3
