#!/usr/bin/env python3
"""Golden end-to-end findings: each fixture app's findings (rule, party, severity, category,
clauses, and the PI types / locations of their evidence) must equal tests/golden/<app>.json.
On a mismatch the actual findings are written beside it as <app>.actual.json, so a reviewer
can diff them and, when the change is intended and checked by hand, copy one over the other.
Never regenerate the golden files from the output without reading the difference."""
import argparse
import json
import os
import subprocess
import sys


def summarise(report):
    out = []
    for f in report["findings"]:
        # A collection by PI type and caller; anything else by its kind and text.
        ev = sorted({(e["pi_type"] + "@" + (e.get("location") or "")) if e.get("pi_type")
                     else e["kind"] + ": " + e["text"] for e in f["evidence"]})
        out.append({"rule": f["rule"], "party": f["party"], "severity": f["severity"],
                    "category": f["category"], "clauses": f["clauses"], "evidence": ev})
    cov = {c["rule"]: c["status"] for c in report["rule_coverage"]}
    return {"findings": out, "rule_coverage": cov}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--appaudit", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--golden", required=True)
    args = ap.parse_args()
    names = sorted(f[:-5] for f in os.listdir(args.golden)
                   if f.endswith(".json") and not f.endswith(".actual.json"))
    failed = 0
    for name in names:
        spec = json.load(open(os.path.join(args.golden, name + ".json"), encoding="utf-8"))
        cmd = [args.appaudit, "scan", os.path.join(args.fixtures, "apk", spec["apk"])]
        # "{fixtures_src}" in an argument is tests/fixtures of the source tree (policy files).
        src = os.path.normpath(os.path.join(args.golden, "..", "fixtures"))
        cmd += [a.replace("{fixtures_src}", src) for a in spec.get("args", [])]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode not in (0, 1):
            print("FAIL %s: scan exited %d: %s" % (name, r.returncode, r.stderr.strip()))
            failed += 1
            continue
        actual = summarise(json.loads(r.stdout))
        expected = {"findings": spec["findings"], "rule_coverage": spec["rule_coverage"]}
        actual_path = os.path.join(args.golden, name + ".actual.json")
        if actual != expected:
            with open(actual_path, "w", encoding="utf-8") as f:
                json.dump(dict(spec, **actual), f, ensure_ascii=False, indent=2)
                f.write("\n")
            print("FAIL %s: findings differ; actual written to %s" % (name, actual_path))
            failed += 1
        else:
            if os.path.exists(actual_path):
                os.remove(actual_path)
            print("ok   %s: %d findings" % (name, len(expected["findings"])))
    print("golden findings: %d cases, %d failed" % (len(names), failed))
    return 1 if failed or not names else 0


if __name__ == "__main__":
    sys.exit(main())
