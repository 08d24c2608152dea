#!/usr/bin/env bash
# Moves the long studies' runs between their working folders (artifacts/, not committed) and their committed results folders:
#   save      copies what the runs made so far into the results folders (runs.csv, losses and singular values as .csv.gz, the
#             reports and plots), to commit a snapshot while a study is still running;
#   restore   seeds the working folders from the committed results, so that run-study-minilm.sh and run-bi-encoder.sh on a fresh
#             machine resume where the last snapshot stopped (they skip every run already in a runs.csv) instead of starting over.
# Both merge: a runs.csv or losses file keeps every line either side has, once.
#
#   test/DeltaLoRA.Bench/sync-results.sh save|restore
#
# Pairs: artifacts/study-minilm ↔ results/minilm-study (main, spectrum, rank/r*-*, sst2-long) and artifacts/bi-encoder ↔
# results/bi-encoder (use-lite, minilm).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
results=test/DeltaLoRA.Bench/results
direction="${1:-}"
[[ "$direction" == save || "$direction" == restore ]] || { echo "usage: $0 save|restore" >&2; exit 2; }

# merge TARGET SOURCE: one header, then every line of both once; written whole, then moved over the target.
merge() {
  local target="$1" source="$2" existing=()
  [[ -f "$target" ]] && existing=("$target")
  awk 'FNR == 1 && NR != 1 { next } !seen[$0]++' "${existing[@]}" "$source" > "$target.merging"
  mv "$target.merging" "$target"
}

save_folder() { # save_folder WORK RESULT [with-plots]
  local work="$1" result="$2" plots="${3:-}" name
  [[ -f "$work/runs.csv" ]] || return 0
  mkdir -p "$result"
  merge "$result/runs.csv" "$work/runs.csv"
  for name in losses singular-values; do
    [[ -f "$work/$name.csv" ]] || continue
    local merged; merged="$(mktemp)"
    if [[ -f "$result/$name.csv.gz" ]]; then gzip -dc "$result/$name.csv.gz" > "$merged"; fi
    merge "$merged" "$work/$name.csv"
    # Rewritten only when the content changed, so that a snapshot does not churn unchanged archives.
    if ! { [[ -f "$result/$name.csv.gz" ]] && gzip -dc "$result/$name.csv.gz" | cmp -s - "$merged"; }; then
      gzip -n -9 -c "$merged" > "$result/$name.csv.gz.writing" && mv "$result/$name.csv.gz.writing" "$result/$name.csv.gz"
    fi
    rm -f "$merged"
  done
  find "$work" -maxdepth 1 -name '*.md' -exec cp {} "$result/" \;
  if [[ -n "$plots" && -d "$work/plots" ]]; then mkdir -p "$result/plots" && cp "$work"/plots/*.png "$result/plots/"; fi
}

restore_folder() { # restore_folder RESULT WORK
  local result="$1" work="$2" name
  [[ -f "$result/runs.csv" ]] || return 0
  mkdir -p "$work"
  merge "$work/runs.csv" "$result/runs.csv"
  for name in losses singular-values; do
    [[ -f "$result/$name.csv.gz" ]] || continue
    local unpacked; unpacked="$(mktemp)"
    gzip -dc "$result/$name.csv.gz" > "$unpacked"
    merge "$work/$name.csv" "$unpacked"
    rm -f "$unpacked"
  done
}

# WORK:RESULT[:with-plots]. Plots are kept for the reports the README shows; the rank folders' own plots are summed up by
# `ranks`, and the bi-encoder's loss plots would miss the runs whose losses were not kept.
pairs=(study-minilm/main:minilm-study/main:with-plots study-minilm/spectrum:minilm-study/spectrum:with-plots
       study-minilm/sst2-long:minilm-study/sst2-long:with-plots bi-encoder/use-lite:bi-encoder/use-lite bi-encoder/minilm:bi-encoder/minilm)
for folder in "$results"/minilm-study/rank/r*-* artifacts/study-minilm/rank/r*-*; do
  [[ -d "$folder" ]] && pairs+=("study-minilm/rank/${folder##*/}:minilm-study/rank/${folder##*/}")
done

for pair in $(printf '%s\n' "${pairs[@]}" | sort -u); do
  IFS=: read -r work result plots <<< "$pair"
  if [[ "$direction" == save ]]; then save_folder "artifacts/$work" "$results/$result" "$plots"
  else restore_folder "$results/$result" "artifacts/$work"; fi
done

if [[ "$direction" == save ]]; then
  for report in summary.md plots; do
    [[ -e artifacts/study-minilm/rank/$report ]] && cp -r artifacts/study-minilm/rank/$report "$results/minilm-study/rank/"
  done
else
  # Stage 1 of run-study-minilm.sh runs into part-a and part-b and merges them into main: seeded with main's runs, it skips them all.
  for part in part-a part-b; do
    for name in runs losses; do
      [[ -f artifacts/study-minilm/main/$name.csv ]] && mkdir -p artifacts/study-minilm/$part \
        && merge artifacts/study-minilm/$part/$name.csv artifacts/study-minilm/main/$name.csv
    done
  done
fi
echo "sync-results: $direction done"
