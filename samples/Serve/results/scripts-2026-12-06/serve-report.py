import csv, sys
# usage: serve-report.py FOLDER... ; prints a markdown table per folder: rps, p50, p99, errors, RSS after warm-up (the first 60 s)
for folder in sys.argv[1:]:
    summary = list(csv.DictReader(open(f'{folder}/summary.csv')))
    rss = list(csv.DictReader(open(f'{folder}/rss.csv')))
    print(f'### {folder}')
    print('| engine | run | clients | requests | requests/s | p50 ms | p99 ms | errors | RSS MiB first → last (min–max) |')
    print('|---|---|---:|---:|---:|---:|---:|---:|---|')
    for s in summary:
        r = [int(x['rss_mib']) for x in rss if x['engine'] == s['engine'] and x['phase'] == s['phase']]
        errors = int(s['non2xx']) + int(s['socket_errors'])
        mem = f"{r[0]} → {r[-1]} ({min(r)}–{max(r)})" if r else '—'
        print(f"| {s['engine']} | {s['phase']} | {s['concurrency']} | {s['requests']} | {float(s['rps']):.1f} | {float(s['p50_ms']):.0f} | {float(s['p99_ms']):.0f} | {errors} | {mem} |")
    for engine in sorted({x['engine'] for x in rss}):
        steady = [(int(x['seconds']), int(x['rss_mib'])) for x in rss if x['engine'] == engine and x['phase'] not in ('start', 'swap')]
        if not steady: continue
        t0 = steady[0][0]
        after = [m for t, m in steady if t - t0 >= 60]
        if after:
            print(f"\n{engine}: RSS from 60 s into the first run to the end of the last before the swap: {after[0]} → {after[-1]} MiB "
                  f"(max {max(after)}), growth {100 * (after[-1] - after[0]) / after[0]:+.1f} % (max {100 * (max(after) - after[0]) / after[0]:+.1f} %)")
    print()
