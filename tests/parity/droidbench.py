#!/usr/bin/env python3
"""DroidBench 3.0 recall of `appaudit scan`'s collections.

For every row of CORPUS/droidbench/ground_truth_number_of_leaks.tsv that names an APK, scan it
(`appaudit scan APK --format json`) and count the entries of the report's `collections` (one
per sensitive call site and PI type; docs/report-schema.md). Every DroidBench app with a leak
calls a PI source API, so each one must show at least one collection: the test fails when the
share of leaky apps (number_of_leaks > 0) with a collection is below --min-share (0.95).
Apps with 0 leaks and the per-category split are reported, not gated (a collection is not a
leak: those apps read PI too, they just do not send it anywhere).

The per-app table goes to OUT/droidbench.tsv (category, project, leaks, status, collections,
reachable, pre_consent, pi_types), the summary to stdout. A report without `collections`
(a binary from before the call-graph analysis) fails with a message saying so.
Only Python's standard library is used.
"""
import argparse
import collections
import concurrent.futures as futures
import json
import os
import re
import subprocess
import sys


# Bundled library code (support libraries, AndroidX, Google, Kotlin), not the test app's own.
LIBRARY_CODE = ("Landroid/support/", "Landroidx/", "Lcom/google/", "Lkotlin/", "Lkotlinx/")


def parse_leaks(text):
    """'1' -> 1, '0;0' -> 0, '2 (sendTextMessage + log)' -> 2, '' -> None."""
    m = re.match(r"\s*(\d+(?:\s*;\s*\d+)*)", text)
    if not m:
        return None
    return sum(int(x) for x in m.group(1).split(";"))


def scan(appaudit, apk, timeout):
    """(status, report or None): status is 'ok' or a one-line reason."""
    try:
        p = subprocess.run([appaudit, "scan", apk, "--format", "json"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout after %d s" % timeout, None
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        return "exit %d: %s" % (p.returncode, err[-1] if err else ""), None
    try:
        return "ok", json.loads(p.stdout)
    except ValueError as e:
        return "invalid JSON: %s" % e, None


def share(n, d):
    return "%d/%d (%.1f%%)" % (n, d, 100.0 * n / d) if d else "0/0"


def main():
    ap = argparse.ArgumentParser(description="DroidBench recall of appaudit's collections")
    ap.add_argument("--appaudit", required=True)
    ap.add_argument("--corpus", required=True, help="the shared corpus (holds droidbench/)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-share", type=float, default=0.95)
    ap.add_argument("--timeout", type=int, default=300, help="seconds per scan")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()

    root = os.path.join(args.corpus, "droidbench")
    truth = os.path.join(root, "ground_truth_number_of_leaks.tsv")
    if not os.path.isfile(truth):
        sys.exit("droidbench: no ground truth at %s" % truth)
    rows, skipped = [], []
    with open(truth, encoding="utf-8") as f:
        header = f.readline()
        if not header.startswith("category\tproject\tapk"):
            sys.exit("droidbench: unexpected header in %s: %r" % (truth, header))
        for line in f:
            cols = line.rstrip("\n").split("\t")
            cols += [""] * (4 - len(cols))
            category, project, apk, leaks_text = cols[:4]
            leaks = parse_leaks(leaks_text)
            if not apk or leaks is None:
                skipped.append("%s/%s (%s)" % (category, project,
                                                "no APK" if not apk else "no leak count"))
                continue
            path = os.path.join(root, apk)
            if not os.path.isfile(path):
                skipped.append("%s/%s (APK missing: %s)" % (category, project, apk))
                continue
            rows.append((category, project, path, leaks))

    with futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda r: scan(args.appaudit, r[2], args.timeout), rows))

    os.makedirs(args.out, exist_ok=True)
    table = os.path.join(args.out, "droidbench.tsv")
    missing_field = 0
    per_cat = collections.defaultdict(lambda: [0, 0, 0, 0])  # leaky, detected, clean, flagged
    failures = []
    reachable_detected = 0
    with open(table, "w", encoding="utf-8") as out:
        out.write("category\tproject\tleaks\tstatus\tcollections\treachable\tpre_consent\t"
                  "app_code\tapp_code_reachable\tpi_types\n")
        for (category, project, path, leaks), (status, report) in zip(rows, results):
            colls = None
            if report is not None:
                colls = report.get("collections")
                if colls is None:
                    missing_field += 1
                    status = "no collections field"
            if colls is None:
                n = reach = pre = own = own_reach = "-"
                pi = ""
                found = found_reachable = False
            else:
                n = len(colls)
                reach = sum(1 for c in colls if c.get("reachable"))
                pre = sum(1 for c in colls if c.get("pre_consent"))
                # DroidBench's sources are in the test app's own code, not in the support
                # libraries it bundles: only those count.
                mine = [c for c in colls if not str(c.get("caller", "")).startswith(LIBRARY_CODE)]
                own = len(mine)
                own_reach = sum(1 for c in mine if c.get("reachable"))
                pi = ",".join(sorted({str(c.get("pi_type")) for c in mine}))
                found = own > 0
                found_reachable = own_reach > 0
            out.write("%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" % (
                category, project, leaks, status, n, reach, pre, own, own_reach, pi))
            stats = per_cat[category]
            if leaks > 0:
                stats[0] += 1
                stats[1] += found
                reachable_detected += found_reachable
                if not found:
                    failures.append("%s/%s: %s" % (category, project,
                                                   status if status != "ok" else "no collection"))
            else:
                stats[2] += 1
                stats[3] += found

    leaky = sum(s[0] for s in per_cat.values())
    detected = sum(s[1] for s in per_cat.values())
    clean = sum(s[2] for s in per_cat.values())
    flagged = sum(s[3] for s in per_cat.values())
    print("droidbench: %d apps scanned (%d with leaks, %d without); %d rows skipped%s" % (
        len(rows), leaky, clean, len(skipped), (": " + "; ".join(skipped)) if skipped else ""))
    print("%-28s %-20s %s" % ("category", "leaky with app-code collection", "no-leak with collection"))
    for cat in sorted(per_cat):
        s = per_cat[cat]
        print("%-28s %-20s %s" % (cat, share(s[1], s[0]), share(s[3], s[2])))
    print("%-28s %-20s %s" % ("all", share(detected, leaky), share(flagged, clean)))
    print("apps with leaks whose app-code collection is also reachable from an entry point: %s"
          % share(reachable_detected, leaky))
    print("table: %s" % table)

    if missing_field:
        print("droidbench: FAIL: %d of %d reports have no `collections` field: this appaudit (%s) "
              "predates the call-graph/consent analysis, so DroidBench recall cannot be measured"
              % (missing_field, len(rows), args.appaudit), file=sys.stderr)
        return 1
    if leaky == 0:
        print("droidbench: FAIL: no app with leaks was scanned", file=sys.stderr)
        return 1
    if detected < args.min_share * leaky:
        print("droidbench: FAIL: %s of the apps with leaks show a collection, below %.0f%%; "
              "missed:\n  %s" % (share(detected, leaky), 100 * args.min_share,
                                 "\n  ".join(failures[:30] + (
                                     ["... %d more in %s" % (len(failures) - 30, table)]
                                     if len(failures) > 30 else []))), file=sys.stderr)
        return 1
    print("droidbench: OK: %s of the apps with leaks show a collection (bar %.0f%%)" % (
        share(detected, leaky), 100 * args.min_share))
    return 0


if __name__ == "__main__":
    sys.exit(main())
