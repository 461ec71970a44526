"""Parse run.sh's output into results.json: per GOMAXPROCS, one record per
run of the state while main sleeps (the last schedtrace block that shows G1
asleep): threads, each P's schedtick, each goroutine's goid and wait reason.
Usage: ./run.sh 20 > out.txt; python measure.py out.txt"""

import json
import re
import sys
from pathlib import Path


def parse(text):
    """(the header line, [one record per run])."""
    header, runs, blocks = "", [], None
    for line in text.splitlines():
        if line.startswith("# "):
            header = line[2:]
        elif m := re.match(r"== GOMAXPROCS=(\d+) run", line):
            blocks = []
            runs.append((int(m.group(1)), blocks))
        elif blocks is None:
            continue
        elif m := re.match(r"SCHED \d+ms: .*? threads=(\d+)", line):
            blocks.append({"threads": int(m.group(1)), "schedticks": [], "goroutines": {}})
        elif blocks and (m := re.match(r"\s+P\d+: status=\d+ schedtick=(\d+)", line)):
            blocks[-1]["schedticks"].append(int(m.group(1)))
        elif blocks and (m := re.match(r"\s+G(\d+): status=\d+\((.*)\) m=", line)):
            blocks[-1]["goroutines"][int(m.group(1))] = m.group(2)
    out = []
    for procs, bl in runs:
        asleep = [b for b in bl if b["goroutines"].get(1) == "sleep"]
        if asleep:
            out.append(dict(gomaxprocs=procs, **asleep[-1]))
    return header, out


if __name__ == "__main__":
    header, runs = parse(Path(sys.argv[1]).read_text())
    out = Path(__file__).with_name("results.json")
    out.write_text(json.dumps({"machine": header, "runs": runs}, indent=1) + "\n")
    print(f"{len(runs)} runs -> {out}")
