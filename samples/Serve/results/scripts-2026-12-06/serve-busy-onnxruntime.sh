#!/usr/bin/env bash
# The service (ONNX Runtime zip, batch engine) beside a busy process: two `yes` (one per core) at normal priority, in the
# service's own scheduling group. ORT's default (2 threads, spinning while a request is scored) against
# --onnxruntime-spin false, and against --threads 1 --onnxruntime-spin false; rounds interleaved, 60 s at 1 and 8 clients.
set -uo pipefail
cd /work/main # the checkout the runs used
out=/work/serve-ort-busy; mkdir -p $out
export MALLOC_ARENA_MAX=2
yes > /dev/null & y1=$!
yes > /dev/null & y2=$!
trap 'kill $y1 $y2' EXIT
sleep 5
for round in 1 2; do
  for setting in default nospin nospin-1thread; do
    case $setting in
      default) args="" ;;
      nospin) args="--onnxruntime-spin false" ;;
      nospin-1thread) args="--threads 1 --onnxruntime-spin false" ;;
    esac
    SERVE_ARGS="$args" DURATION=60s SWAP_DURATION=20s CONCURRENCY="1 8" ENGINES=batch \
      bash samples/Serve/load-test.sh /tmp/serve10/minilm-ort.zip $out/round$round-$setting > $out/round$round-$setting.log 2>&1
    echo "round $round $setting done $(date -u) (exit $?)" >> $out/sequence.log
  done
done
