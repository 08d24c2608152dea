#!/usr/bin/env bash
# Every 2 s: every process outside session $1 (and outside this watcher's own session) gets autogroup nice 19, so that the
# load test in session $1 has the cores. One `ps` per pass; logs the load average every minute to /work/serve10/load.log.
sid=$1; own=$(ps -o sid= -p $$ | tr -d ' '); n=0
while kill -0 "$sid" 2>/dev/null; do
  while read -r p s; do
    [ "$s" = "$sid" ] || [ "$s" = "$own" ] && continue
    ag=$(< /proc/$p/autogroup) 2>/dev/null || continue
    [[ $ag == *"nice 19" ]] || echo 19 > /proc/$p/autogroup 2>/dev/null
  done < <(ps -eo pid=,sid=)
  n=$((n+1)); [ $((n % 30)) = 0 ] && echo "$(date -u +%H:%M:%S) $(cat /proc/loadavg)" >> /work/serve10/load.log
  sleep 2
done
