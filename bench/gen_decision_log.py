#!/usr/bin/env python3
"""Generate a large, realistic OpenClaw gateway log for bench/decision-scan.

Every line is a real line from the captured fixtures
(tests/fixtures/openclaw/*/{decision/*,gateway}/file-log.jsonl and the
console *.stderr captures, ANSI codes included) with its timestamps moved
forward so the file reads as one long, time-ordered log. About 90% of the
lines are tslog JSON, 10% console text; DECISION_PCT percent of all lines
are model-fallback decision records (JSON or console form).

usage: gen_decision_log.py FIXTURES_DIR OUT_FILE [SIZE_MB] [DECISION_PCT]
"""
import glob
import os
import random
import re
import sys
import time

ISO = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(?:Z|[+-]\d\d:\d\d)')


def load(fixtures):
    base = os.path.join(fixtures, "openclaw")
    jsonl = sorted(glob.glob(base + "/*/decision/*/file-log.jsonl") +
                   glob.glob(base + "/*/gateway/file-log.jsonl"))
    console = sorted(glob.glob(base + "/*/decision/*/*.stderr") +
                     glob.glob(base + "/*/gateway/*.stderr"))
    pools = {"json": [], "json_dec": [], "con": [], "con_dec": []}
    for path in jsonl:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                key = "json_dec" if '"model_fallback_decision"' in line else "json"
                pools[key].append(line)
    for path in console:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                key = "con_dec" if "model fallback decision:" in line else "con"
                pools[key].append(line)
    for k, v in pools.items():
        if not v:
            sys.exit("gen_decision_log: no %s lines under %s" % (k, base))
    return pools


def split_template(line):
    """Pieces around each ISO timestamp, so a new time is a cheap join."""
    parts = ISO.split(line)
    zs = [m.group(0).endswith("Z") for m in ISO.finditer(line)]
    return parts, zs


def stamp(ms, z):
    s, frac = divmod(ms, 1000)
    t = time.gmtime(s)
    base = "%04d-%02d-%02dT%02d:%02d:%02d.%03d" % (t.tm_year, t.tm_mon, t.tm_mday,
                                                   t.tm_hour, t.tm_min, t.tm_sec, frac)
    return base + ("Z" if z else "+00:00")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    fixtures, out = sys.argv[1], sys.argv[2]
    size = int(float(sys.argv[3]) * 1024 * 1024) if len(sys.argv) > 3 else 512 << 20
    pct = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
    rng = random.Random(20261123)
    pools = {k: [split_template(x) for x in v] for k, v in load(fixtures).items()}
    ms = 1795000000000  # 2026-11-18
    written = 0
    batch = []
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        while written < size:
            for _ in range(4096):
                ms += rng.randint(1, 400)
                dec = rng.random() * 100 < pct
                con = rng.random() < 0.10
                key = ("con" if con else "json") + ("_dec" if dec else "")
                parts, zs = rng.choice(pools[key])
                t_iso = [stamp(ms, z) for z in zs]
                line = parts[0]
                for i, t in enumerate(t_iso):
                    line += t + parts[i + 1]
                batch.append(line)
            chunk = "\n".join(batch) + "\n"
            batch.clear()
            f.write(chunk)
            written += len(chunk.encode("utf-8"))
    os.rename(out + ".tmp", out)
    print("gen_decision_log: wrote %s (%.0f MB, %.1f%% decision lines)" %
          (out, written / 1048576, pct))


if __name__ == "__main__":
    main()
