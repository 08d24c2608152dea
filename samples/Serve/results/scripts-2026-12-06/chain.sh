#!/usr/bin/env bash
# After serve10.sh: the busy-neighbour runs, then the short ORT batch-vs-pool comparison with the sample of r6-int; own watcher.
while pgrep -f "plan/serve10.sh" > /dev/null; do sleep 5; done
echo 0 > /proc/$$/autogroup
bash /work/plan/yield-others.sh "$(ps -o sid= -p $$ | tr -d ' ')" > /work/serve10/yield2.log 2>&1 &
bash /work/plan/serve-busy.sh
cd /work/wt-int && MALLOC_ARENA_MAX=2 DURATION=60s SWAP_DURATION=60s ENGINES="batch pool" bash samples/Serve/load-test.sh /tmp/serve10/minilm-ort.zip /work/serve10/ort-short-lone > /work/serve10/ort-short-lone.log 2>&1
echo "chain done $(date -u)" >> /work/serve10/sequence.log
