#!/bin/bash
# Resident memory over repeated model swaps: the service on MODEL (a copy), 8 s of wrk at 8 connections, then six times: the
# zip copied over the served file, wait for /health's version to move, 8 s of wrk, RSS. Run from a folder holding
# minilm/minilm-sst2.zip and sentences.txt (one sentence per line), with the environment to test, e.g.
#   ./swap-memory.sh default;  MALLOC_ARENA_MAX=2 ./swap-memory.sh arena2
serve=$(cd "$(dirname "$0")/.." && pwd)  # samples/Serve, built with -c Release
rm -rf swaps && mkdir swaps && cp minilm/minilm-sst2.zip swaps/model.zip
dotnet "$serve/bin/Release/net10.0/Serve.dll" --model swaps/model.zip --urls http://127.0.0.1:0 > swaps/log 2>&1 & P=$!
for i in $(seq 120); do grep -q '^Serving' swaps/log && break; sleep 1; done; URL=$(grep -o 'http://[0-9.:]*' swaps/log | head -1)
rss() { echo $(( $(grep VmRSS /proc/$P/status | tr -s ' ' | cut -d' ' -f2) / 1024 )); }
export SENTENCES=$PWD/sentences.txt
wrk -t2 -c8 -d8s -s "$serve/post-sentences.lua" $URL/predict > /dev/null; line="$1: after warm-up $(rss)"
for s in 1 2 3 4 5 6; do cp minilm/minilm-sst2.zip swaps/model.zip; for i in $(seq 120); do curl -s $URL/health | grep -q "\"version\":$s" && break; sleep 0.5; done
  wrk -t2 -c8 -d8s -s "$serve/post-sentences.lua" $URL/predict > /dev/null; line="$line, swap $s $(rss)"; done
echo "$line MiB"; kill $P
