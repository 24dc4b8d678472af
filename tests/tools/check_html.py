#!/usr/bin/env python3
"""The HTML report is one self-contained file (no scripts, nothing fetched from the network),
well-formed enough to parse, in the language asked for, and carries what the JSON report
says: every finding's rule, the SDKs, the permissions and the rule coverage."""
import argparse
import html.parser
import json
import os
import subprocess
import sys
import tempfile


class Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.refs, self.text, self.lang, self.stack_errors = [], [], [], None, 0
        self.open = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "html":
            self.lang = a.get("lang")
        for k in ("src", "href", "action", "data"):
            if k in a:
                self.refs.append(a[k])
        if tag not in ("meta", "br", "link", "img", "input", "hr"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.stack_errors += 1

    def handle_data(self, data):
        self.text.append(data)


def check(appaudit, apk, lang, extra):
    report = json.loads(subprocess.run([appaudit, "scan", apk] + extra, check=True,
                                       capture_output=True, text=True).stdout)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.html")
        subprocess.run([appaudit, "scan", apk, "--format", "html", "--lang", lang, "-o", out]
                       + extra, check=True, capture_output=True)
        page = open(out, encoding="utf-8").read()
    p = Collect()
    p.feed(page)
    text = "".join(p.text)
    problems = []
    if "script" in p.tags or "iframe" in p.tags:
        problems.append("has scripts or frames")
    if p.refs:
        problems.append("references outside the file: %s" % p.refs[:5])
    if "url(" in page:
        problems.append("CSS url() reference")
    if p.stack_errors or p.open:
        problems.append("unbalanced tags (%d mismatches, open: %s)" % (p.stack_errors, p.open))
    if p.lang != lang:
        problems.append("lang=%r, asked for %r" % (p.lang, lang))
    headings = {"zh-CN": ["检测发现", "第三方 SDK", "权限", "规则覆盖", "按问题类型汇总"],
                "en": ["Findings", "Third-party SDKs", "Permissions", "Rule coverage",
                       "Summary by problem type"]}[lang]
    for h in headings:
        if h not in text:
            problems.append("no section %r" % h)
    for f in report["findings"]:
        if f["rule"] not in text:
            problems.append("finding %s missing" % f["rule"])
    for s in report["sdks"]:
        if s["id"] not in text:
            problems.append("SDK %s missing" % s["id"])
    for c in report["rule_coverage"]:
        if c["rule"] not in text:
            problems.append("rule %s missing from coverage" % c["rule"])
    for perm in report.get("permissions", []):
        if perm["name"] not in text:
            problems.append("permission %s missing" % perm["name"])
    if any(e.get("path") for f in report["findings"] for e in f["evidence"]) and "→" not in text:
        problems.append("no evidence path shown")
    print("%s %s [%s]: %d findings, %s" % ("FAIL" if problems else "ok  ", os.path.basename(apk),
                                          lang, len(report["findings"]),
                                          "; ".join(problems) or "self-contained and complete"))
    return not problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--appaudit", required=True)
    ap.add_argument("apks", nargs="+")
    args = ap.parse_args()
    ok = True
    for apk in args.apks:
        for lang in ("zh-CN", "en"):
            ok &= check(args.appaudit, apk, lang, ["--app-type", "浏览器"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
