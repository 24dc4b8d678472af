#!/usr/bin/env python3
"""Golden tests of `appaudit policy` on hand-written fixtures (tests/fixtures/policy/).

Expected facts (tests/fixtures/policy/expected.json) were written by hand from reading each
fixture, never copied from our output. For every fixture, and for the Chinese one re-encoded
at test time as GBK (glibc iconv) and as UTF-16LE with a BOM, and for the English one as
UTF-16BE with a BOM, checks: encoding and format; every mention's text, PI type and negation,
in order; that text[start:end] (code points of the reported text) is the mention's text; for
HTML, that source offsets point at the same text in the decoded source; negation cues and
whether conditional; SDK ids (matched text, in-list flag); the SDK-list heading; rights; contacts;
the normalised last-updated date; the mentions linked to purposes, conditions and sharing. A
binary file must exit 2 with "not a text file". On a mismatch the actual facts are written to
<fixture>.actual.json beside the expected file.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile


def run(appaudit, path):
    p = subprocess.run([appaudit, "policy", path, "--with-text"], capture_output=True)
    if p.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (path, p.returncode, p.stderr.decode()))
    return json.loads(p.stdout)


def facts(doc):
    p = doc["policy"]
    ms = p["mentions"]
    def linked(key):
        out = []
        for s in p[key]:
            out += [ms[i]["text"] for i in s["mentions"]]
        return sorted(set(out))
    return {
        "encoding": p["encoding"],
        "format": p["format"],
        "looks_like_policy": p["looks_like_policy"],
        "last_updated": p["last_updated"]["date"] if p["last_updated"] else None,
        # A contextual mention (a vague phrase found by its head noun and kept by the tagger)
        # carries a fourth element.
        "mentions": [[m["text"], m["pi_type"], m["negated"]] + (["contextual"] if m["contextual"] else [])
                     for m in ms],
        "negations": [[n["cue"]["text"], n["conditional"]] for n in p["negations"]],
        "sdks": [[s["id"], s["matches"][0]["text"], s["in_sdk_list"]] for s in p["sdks"]],
        "sdk_list": p["sdk_list"]["text"] if p["sdk_list"] else None,
        "rights": sorted(r["right"] for r in p["rights"]),
        "contacts": [[c["kind"], c["text"]] for c in p["contacts"]],
        "purpose_mentions": linked("purposes"),
        "condition_mentions": linked("conditions"),
        "sharing_mentions": linked("sharing"),
    }


def check(name, doc, exp, errors, source_text=None):
    got = facts(doc)
    text = doc["text"]
    for m in doc["policy"]["mentions"]:
        if text[m["start"]:m["end"]] != m["text"]:
            errors.append("%s: text[%d:%d] = %r, mention says %r" %
                          (name, m["start"], m["end"], text[m["start"]:m["end"]], m["text"]))
    for key in ("negations", "purposes", "conditions", "sharing"):
        for s in doc["policy"][key]:
            if text[s["start"]:s["end"]] != s["text"]:
                errors.append("%s: %s span text mismatch at %d" % (name, key, s["start"]))
    for c in doc["policy"]["contacts"]:
        if text[c["start"]:c["end"]] != c["text"]:
            errors.append("%s: contact span mismatch at %d" % (name, c["start"]))
    if doc["policy"]["length"] != len(text):
        errors.append("%s: length %d but text has %d code points" %
                      (name, doc["policy"]["length"], len(text)))
    if source_text is not None:
        for m in doc["policy"]["mentions"]:
            if m["text"] in exp.get("source_checked", []):
                src = source_text[m["source_start"]:m["source_end"]]
                if src != m["text"]:
                    errors.append("%s: source[%d:%d] = %r, not %r" %
                                  (name, m["source_start"], m["source_end"], src, m["text"]))
    bad = False
    for key, want in exp.items():
        if key.startswith("_") or key == "source_checked":
            continue
        if key in ("purpose_mentions", "condition_mentions", "sharing_mentions"):
            missing = [w for w in want if w not in got[key]]
            if missing:
                errors.append("%s: %s lack %s (got %s)" % (name, key, missing, got[key]))
                bad = True
            continue
        if got[key] != want:
            errors.append("%s: %s\n   expected %s\n   got      %s" % (name, key, want, got[key]))
            bad = True
    return got, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--appaudit", required=True)
    ap.add_argument("--fixtures", required=True)
    args = ap.parse_args()
    expected = json.load(open(os.path.join(args.fixtures, "expected.json"), encoding="utf-8"))
    errors = []
    tmp = tempfile.mkdtemp()
    try:
        cases = []
        for name in ("zh_utf8.txt", "en.txt", "policy.html", "contextual.txt"):
            cases.append((name, os.path.join(args.fixtures, name), dict(expected[name])))
        # Re-encodings made at test time: GBK by glibc iconv, UTF-16 with a BOM by Python.
        zh = os.path.join(args.fixtures, "zh_utf8.txt")
        gbk = os.path.join(tmp, "zh_gbk.txt")
        with open(gbk, "wb") as out:
            subprocess.run(["iconv", "-f", "UTF-8", "-t", "GBK", zh], stdout=out, check=True)
        e = dict(expected["zh_utf8.txt"], encoding="gb18030")
        cases.append(("zh_gbk.txt", gbk, e))
        u16 = os.path.join(tmp, "zh_utf16le.txt")
        with open(u16, "wb") as out:
            out.write(b"\xff\xfe" + open(zh, encoding="utf-8").read().encode("utf-16-le"))
        cases.append(("zh_utf16le.txt", u16, dict(expected["zh_utf8.txt"], encoding="utf-16le")))
        en16 = os.path.join(tmp, "en_utf16be.txt")
        with open(en16, "wb") as out:
            out.write(b"\xfe\xff" + open(os.path.join(args.fixtures, "en.txt"),
                                         encoding="utf-8").read().encode("utf-16-be"))
        cases.append(("en_utf16be.txt", en16, dict(expected["en.txt"], encoding="utf-16be")))
        for name, path, exp in cases:
            doc = run(args.appaudit, path)
            source = None
            if exp.get("format") == "html":
                source = open(path, encoding="utf-8").read()
            n_before = len(errors)
            got, bad = check(name, doc, exp, errors, source)
            # Plain text: the reported text is the file's content exactly.
            if exp.get("format") == "text" and name in ("zh_utf8.txt", "en.txt"):
                if doc["text"] != open(path, encoding="utf-8").read():
                    errors.append("%s: reported text differs from the file's content" % name)
            if bad or len(errors) > n_before:
                if name in expected:
                    with open(os.path.join(args.fixtures, name + ".actual.json"), "w",
                              encoding="utf-8") as f:
                        json.dump(got, f, ensure_ascii=False, indent=2)
            print("%-16s %s" % (name, "ok" if len(errors) == n_before else "MISMATCH"))
        # A binary file: exit 2, one clear line.
        binary = os.path.join(tmp, "binary.bin")
        with open(binary, "wb") as f:
            f.write(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
        p = subprocess.run([args.appaudit, "policy", binary], capture_output=True)
        msg = p.stderr.decode(errors="replace")
        if p.returncode != 2 or "not a text file" not in msg or binary not in msg:
            errors.append("binary: exit %d, stderr %r (want exit 2, 'FILE: not a text file')" %
                          (p.returncode, msg))
        else:
            print("%-16s ok (%s)" % ("binary.bin", msg.strip()))
    finally:
        shutil.rmtree(tmp)
    for e in errors:
        print("FAIL " + e)
    print("%d failures" % len(errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
