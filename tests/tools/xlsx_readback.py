#!/usr/bin/env python3
"""Writes the findings spreadsheet for an APK, reopens it (the .xlsx ZIP and its sheet XML,
standard library only) and checks it against the JSON report of the same scan: one row per
finding with the same rule, category, severity and party, the SDK sheet, the coverage sheet."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def col_index(ref):
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def read_sheets(path):
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ET.fromstring(z.read("xl/sharedStrings.xml"))
            for si in root.findall("m:si", NS):
                shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        names = [s.get("name") for s in wb.find("m:sheets", NS)]
        sheets = {}
        for i, name in enumerate(names, 1):
            root = ET.fromstring(z.read("xl/worksheets/sheet%d.xml" % i))
            rows = []
            for row in root.iter("{%s}row" % NS["m"]):
                cells = {}
                for c in row.findall("m:c", NS):
                    v = c.find("m:v", NS)
                    text = v.text if v is not None else ""
                    if c.get("t") == "s":
                        text = shared[int(text)]
                    cells[col_index(c.get("r"))] = text
                rows.append([cells.get(k, "") for k in range(max(cells) + 1)] if cells else [])
            sheets[name] = rows
        return sheets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--appaudit", required=True)
    ap.add_argument("apk")
    args = ap.parse_args()
    report = json.loads(subprocess.run([args.appaudit, "scan", args.apk], check=True,
                                       capture_output=True, text=True).stdout)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "findings.xlsx")
        r = subprocess.run([args.appaudit, "scan", args.apk, "--format", "xlsx", "-o", out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("xlsx: scan failed (%d): %s" % (r.returncode, r.stderr))
            return 1
        sheets = read_sheets(out)
    failures = []
    findings = sheets.get("问题清单 Findings")
    if findings is None:
        failures.append("no findings sheet: %s" % list(sheets))
    else:
        header, rows = findings[0], findings[1:]
        if header[:3] != ["序号 No.", "应用 App", "规则 Rule"]:
            failures.append("unexpected header %s" % header[:3])
        want = [(f["rule"], f["category"], f["severity"], f["party"] or "")
                for f in report["findings"]]
        got = [(row[2], row[3], row[4], row[8] if len(row) > 8 else "") for row in rows]
        if want != got:
            failures.append("findings differ:\n  json %s\n  xlsx %s" % (want, got))
        if not want:
            failures.append("the input has no findings: pick an APK that has some")
    sdks = sheets.get("SDK", [])
    if [row[0] for row in sdks[1:]] != [s["id"] for s in report["sdks"]]:
        failures.append("SDK sheet differs from sdks[]")
    cov = sheets.get("规则覆盖 Rule coverage", [])
    if [(row[0], row[1]) for row in cov[1:]] != [(c["rule"], c["status"])
                                                 for c in report["rule_coverage"]]:
        failures.append("coverage sheet differs from rule_coverage[]")
    for f in failures:
        print("FAIL", f)
    print("xlsx readback: %d findings, %d SDKs, %d rules; %s" % (
        len(report["findings"]), len(report["sdks"]), len(report["rule_coverage"]),
        "FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
