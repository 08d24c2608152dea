#!/usr/bin/env bash
# Markdown table of run-study-minilm.sh's main study from its runs.csv files (the merged OUT/main/runs.csv, or while stage 1
# still runs, OUT/part-a/runs.csv and OUT/part-b/runs.csv): per task and method, the learning rate chosen on validation, the
# best validation score, the dev score of the final seeds (mean ± sd, ×100) and the training seconds per run; the published
# MiniLM-L6xH384 full fine-tuning numbers beside each task (MRPC's is accuracy; its dev score is the mean of accuracy and F1).
# Runs not finished yet are absent. With --by-task: one row per task, each method's dev score side by side, and Delta-LoRA
# minus LoRA.
#   test/DeltaLoRA.Bench/summarize-minilm-main.sh [--by-task] artifacts/study-minilm/part-a/runs.csv artifacts/study-minilm/part-b/runs.csv
# With --late-loss LOSSES.CSV[.gz]: per task and method, the mean training loss over the last 10 % of the steps of the final
# runs (the chosen rate, every seed), to compare how far each method fits the training data.
set -euo pipefail
if [[ "${1:-}" == --late-loss ]]; then
  [[ $# -eq 2 ]] || { echo "usage: summarize-minilm-main.sh --late-loss LOSSES.CSV[.gz]" >&2; exit 2; }
  echo "| task | method | chosen lr | late training loss (last 10 % of steps, mean over seeds) |"
  echo "|---|---|---|---|"
  # losses.csv columns: run(1),task(2),method(3),phase(4),lr(5),seed(6),step(7),loss(8); read twice: last step, then the late losses.
  read_losses() { if [[ "$1" == *.gz ]]; then gzip -dc "$1"; else cat "$1"; fi; }
  awk -F, 'NR == FNR { if (FNR > 1 && $4 == "final" && $7 + 0 > last[$2 "|" $3]) last[$2 "|" $3] = $7 + 0; next }
    FNR > 1 && $4 == "final" && $7 + 0 > 0.9 * last[$2 "|" $3] { key = $2 "|" $3; sum[key] += $8; n[key]++; lr[key] = $5 }
    END { for (key in n) { split(key, part, "|"); printf "| %s | %s | %s | %.4f |\n", part[1], part[2], lr[key], sum[key] / n[key] } }' \
    <(read_losses "$2") <(read_losses "$2") | sort
  exit 0
fi
by_task=0; [[ "${1:-}" == --by-task ]] && { by_task=1; shift; }
[[ $# -gt 0 ]] || { echo "usage: summarize-minilm-main.sh [--by-task] RUNS.CSV [RUNS.CSV ...]" >&2; exit 2; }
if (( by_task )); then
  echo "| task (metric) | published, full FT | majority class | frozen + ML.NET | full FT | LoRA | Delta-LoRA | Delta-LoRA − LoRA |"
  echo "|---|---|---|---|---|---|---|---|"
  awk -F, 'FNR == 1 { next }
    $3 == "final" && $14 != "" { key = $1 "|" $2; n[key]++; s[key] += 100 * $14; ss[key] += (100 * $14) ^ 2; tasks[$1] = 1 }
    function cell(key,   mean, sd) {
      if (!(key in n)) return "—"
      mean = s[key] / n[key]; sd = n[key] > 1 ? sqrt((ss[key] - n[key] * mean ^ 2) / (n[key] - 1)) : 0
      if (key ~ /Frozen$/ && sd < 0.005) return sprintf("%.2f", mean) # the ML.NET classifier on frozen vectors is deterministic
      return n[key] > 1 ? sprintf("%.2f ± %.2f", mean, sd) : sprintf("%.2f (1 seed)", mean)
    }
    END {
      name["sst2"] = "SST-2 (accuracy)"; name["mrpc"] = "MRPC (mean of accuracy and F1)"; name["cola"] = "CoLA (MCC)"
      name["rte"] = "RTE (accuracy)"; name["stsb"] = "STS-B (mean of Pearson and Spearman)"
      # The majority class scored on each dev split (counted from the dev files, as in the USE-Lite table of the README).
      majority["sst2"] = "50.92"; majority["mrpc"] = "74.80"; majority["cola"] = "0.00"; majority["rte"] = "52.71"; majority["stsb"] = "—"
      published["sst2"] = "91.5"; published["mrpc"] = "88.9 (accuracy)"; published["cola"] = "47.5"; published["rte"] = "68.8"; published["stsb"] = "—"
      order = "sst2 mrpc cola rte stsb"; count = split(order, ordered, " ")
      for (i = 1; i <= count; i++) {
        t = ordered[i]; if (!(t in tasks)) continue
        d = t "|DeltaLoRA"; l = t "|LoRA"
        diff = (d in n && l in n) ? sprintf("%+.2f", s[d] / n[d] - s[l] / n[l]) : "—"
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", name[t], published[t], majority[t], cell(t "|Frozen"), cell(t "|Full"), cell(l), cell(d), diff
      }
    }' "$@"
  exit 0
fi
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
