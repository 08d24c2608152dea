#!/usr/bin/env bash
# #26 item 3: the service (TorchSharp engine, batch) beside a busy process: two `yes` (one per core) at normal priority,
# libgomp's default spin (GOMP_SPINCOUNT=300000, "before") against OMP_WAIT_POLICY=PASSIVE ("after"), rounds interleaved.
set -uo pipefail
cd /work/main
out=/work/serve10/busy; mkdir -p $out
export MALLOC_ARENA_MAX=2
yes > /dev/null & y1=$!
yes > /dev/null & y2=$!
trap 'kill $y1 $y2' EXIT
sleep 5
for round in 1 2; do
  for setting in spin passive; do
    if [ $setting = spin ]; then env_args=(GOMP_SPINCOUNT=300000); else env_args=(OMP_WAIT_POLICY=PASSIVE); fi
    env "${env_args[@]}" DURATION=60s SWAP_DURATION=20s CONCURRENCY="1 8" ENGINES=batch \
      bash samples/Serve/load-test.sh /tmp/serve10/minilm-torch.zip $out/round$round-$setting > $out/round$round-$setting.log 2>&1
    echo "round $round $setting done $(date -u)" >> $out/sequence.log
  done
done
