#!/usr/bin/env bash
# Load figures for #26 item 2: short ORT batch-vs-pool comparison, then 10-minute runs (batch engine) on the ORT and TorchSharp zips.
set -uo pipefail
cd /work/main
export MALLOC_ARENA_MAX=2
echo "start $(date -u)" >> /work/serve10/sequence.log
DURATION=60s SWAP_DURATION=60s ENGINES="batch pool" bash samples/Serve/load-test.sh /tmp/serve10/minilm-ort.zip /work/serve10/ort-short > /work/serve10/ort-short.log 2>&1
echo "ort-short done $(date -u)" >> /work/serve10/sequence.log
DURATION=600s SWAP_DURATION=60s ENGINES="${ORT_ENGINE:-batch}" bash samples/Serve/load-test.sh /tmp/serve10/minilm-ort.zip /work/serve10/ort-10min > /work/serve10/ort-10min.log 2>&1
echo "ort-10min done $(date -u)" >> /work/serve10/sequence.log
DURATION=600s SWAP_DURATION=60s ENGINES=batch bash samples/Serve/load-test.sh /tmp/serve10/minilm-torch.zip /work/serve10/torch-10min > /work/serve10/torch-10min.log 2>&1
echo "torch-10min done $(date -u)" >> /work/serve10/sequence.log
