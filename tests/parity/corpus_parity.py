#!/usr/bin/env python3
"""Parity of `appaudit scan` with real peers over the whole shared corpus.

For every APK (and DEX) under --corpus and the built fixtures:
  * `aapt dump badging` (when it reads the APK): package, versionCode, versionName,
    sdkVersion, targetSdkVersion, uses-permission / uses-permission-sdk-23 names,
    application-label and application-label-zh-CN equal our report's app.* and permissions;
  * `dexdump` (plain listing): per DEX file, class definitions and defined methods
    (direct + virtual) equal our dex[].classes and dex[].methods;
  * `apksigner verify --print-certs` (when it prints signer digests): the signers'
    certificate SHA-256 digests equal our signers[].sha256.
Any mismatch fails the test; the full table goes to OUT/parity.tsv and the summary to stdout.
Only Python's standard library is used.
"""
import argparse
import concurrent.futures as futures
import json
import os
import re
import subprocess
import sys


def run(cmd, timeout=300):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return -1, "", "timeout"


def aapt_badging(apk):
    code, out, _ = run(["aapt", "dump", "badging", apk])
    if code != 0:
        return None
    info = {"permissions": set()}
    for line in out.splitlines():
        if line.startswith("package:"):
            for key, attr in (("package", "name"), ("version_code", "versionCode"),
                              ("version_name", "versionName")):
                m = re.search(r"\b%s='([^']*)'" % attr, line)
                info[key] = m.group(1) if m else None
        elif line.startswith("sdkVersion:"):
            info["min_sdk"] = line.split(":", 1)[1].strip("'")
        elif line.startswith("targetSdkVersion:"):
            info["target_sdk"] = line.split(":", 1)[1].strip("'")
        elif line.startswith("uses-permission:") or line.startswith("uses-permission-sdk-23:"):
            m = re.search(r"name='([^']*)'", line)
            if m:
                info["permissions"].add(m.group(1))
        elif line.startswith("application-label:"):
            info["label"] = line.split(":", 1)[1][1:-1]
        elif line.startswith("application-label-zh-CN:"):
            info["label_zh_cn"] = line.split(":", 1)[1][1:-1]
    return info


def dexdump_counts(path):
    """{dex name: (classes, methods)} from dexdump's plain listing."""
    code, out, _ = run(["dexdump", path], timeout=600)
    if code != 0 or "Opened '" not in out:
        return None
    result = {}
    current = None
    section = None
    for line in out.splitlines():
        if line.startswith("Opened '"):
            m = re.match(r"Opened '(.*)', DEX version", line)
            name = m.group(1) if m else line
            if path.endswith(".apk"):
                # "x.apk:classes2.dex" for secondary DEX files; plain "x.apk" for classes.dex.
                sub = re.search(r":(classes\d*\.dex)$", name)
                name = sub.group(1) if sub else "classes.dex"
            else:
                name = os.path.basename(path)
            current = name
            result[current] = [0, 0]
            section = None
        elif current is None:
            continue
        elif line.startswith("Class #"):
            result[current][0] += 1
            section = None
        elif line.startswith("  Direct methods") or line.startswith("  Virtual methods"):
            section = "methods"
        elif line.startswith("  ") and not line.startswith("    ") and line.strip().endswith("-"):
            section = None  # another class-level section (fields, interfaces, ...)
        elif section == "methods" and re.match(r"^    #\d+\s+: \(in ", line):
            result[current][1] += 1
    return {k: tuple(v) for k, v in result.items()}


def apksigner_digests(apk):
    code, out, _ = run(["apksigner", "verify", "--print-certs", apk], timeout=300)
    digests = re.findall(r"^Signer #\d+ certificate SHA-256 digest: ([0-9a-f]+)$", out, re.M)
    return digests or None


def ours(appaudit, path):
    code, out, err = run([appaudit, "scan", "--format", "json", path], timeout=300)
    if code != 0:
        return code, None, err.strip()
    try:
        return code, json.loads(out), ""
    except ValueError as e:
        return code, None, "invalid JSON: %s" % e


def check(args, path):
    rows = []  # (path, check, status, detail)
    is_apk = path.endswith(".apk")
    code, report, err = ours(args.appaudit, path)
    badging = aapt_badging(path) if is_apk else None
    dex = dexdump_counts(path)
    signers = apksigner_digests(path) if is_apk else None

    if report is None:
        # Unusable input for us: acceptable only when no peer could read it either.
        if badging is not None or dex:
            rows.append((path, "readable", "FAIL", "exit %d: %s (peers read it)" % (code, err)))
        else:
            rows.append((path, "readable", "ok", "exit %d, peers also refuse: %s" % (code, err)))
        return rows

    if badging is not None:
        app = report.get("app") or {}
        for key in ("package", "version_code", "version_name", "min_sdk", "target_sdk",
                    "label", "label_zh_cn"):
            if key not in badging:
                continue
            theirs = badging[key]
            mine = app.get(key)
            if mine is None and key in ("min_sdk", "target_sdk"):
                mine = app.get(key + "_codename")  # preview SDK levels are codenames
            mine = None if mine is None else str(mine)
            if theirs in (None, "") and mine in (None, ""):
                continue
            status = "ok" if mine == theirs else "FAIL"
            rows.append((path, "aapt." + key, status, "aapt=%r ours=%r" % (theirs, mine)))
        mine_perms = {p["name"] for p in report.get("permissions", [])}
        status = "ok" if mine_perms == badging["permissions"] else "FAIL"
        rows.append((path, "aapt.permissions", status,
                     "missing=%s extra=%s" % (sorted(badging["permissions"] - mine_perms),
                                              sorted(mine_perms - badging["permissions"]))))
    if dex:
        mine_dex = {d["name"]: (d["classes"], d["methods"]) for d in report.get("dex", [])}
        for name, counts in sorted(dex.items()):
            got = mine_dex.get(name)
            status = "ok" if got == counts else "FAIL"
            rows.append((path, "dexdump." + name, status, "dexdump=%s ours=%s" % (counts, got)))
    if signers:
        # apksigner prints the platform's signers ("Signer #N"): our primary ones.
        mine_sig = [s["sha256"] for s in report.get("signers", []) if s.get("primary")]
        status = "ok" if sorted(mine_sig) == sorted(signers) else "FAIL"
        rows.append((path, "apksigner.sha256", status, "apksigner=%s ours=%s" % (signers, mine_sig)))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--appaudit", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--fixtures")
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()

    paths = []
    for root in [args.corpus] + ([args.fixtures] if args.fixtures else []):
        for dirpath, _, files in os.walk(root):
            for f in files:
                if f.endswith(".apk") or f.endswith(".dex"):
                    paths.append(os.path.join(dirpath, f))
    paths.sort()
    if not paths:
        print("no inputs under %s" % args.corpus)
        return 1

    rows = []
    with futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for r in pool.map(lambda p: check(args, p), paths):
            rows.extend(r)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "parity.tsv"), "w", encoding="utf-8") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")
    by_check = {}
    for _, name, status, _ in rows:
        family = name.split(".")[0] if not name.startswith("dexdump") else "dexdump"
        ok, total = by_check.get(family, (0, 0))
        by_check[family] = (ok + (status == "ok"), total + 1)
    print("inputs: %d" % len(paths))
    for family, (ok, total) in sorted(by_check.items()):
        print("%-10s %d/%d agree" % (family, ok, total))
    failures = [r for r in rows if r[2] != "ok"]
    for r in failures[:200]:
        print("MISMATCH %s %s: %s" % (r[0], r[1], r[3]))
    print("%d passed, %d failed" % (len(rows) - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
