#!/usr/bin/env python3
"""Benchmark of `appaudit policy` mentions against the CA4P-483 annotations (python3 stdlib).

For every policy in CA4P-483 (text/*.txt) runs `appaudit policy FILE` and compares its
`mentions` with the annotators' 数据 (data) spans (annotation_data/*.json), by overlap, twice:
(a) all mentions, (b) the mentions with `practice: true` (objects of data-practice statements,
which is what the annotators label):

  precision = share of our mentions that overlap an annotated 数据 span
  recall    = share of annotated 数据 spans overlapped by at least one mention

and F1, micro-averaged over all files, plus the per-file distribution (min, p10, median, p90)
and the run time. As a diagnostic (not a target) it also prints the precision of the practice
mentions that lie in sentences carrying any annotation of a named class: the annotators left
whole practice sentences blank, and this separates those from the reader's own errors. Offsets are code points on both sides (the dataset's are Python string
indices into the UTF-8 text, which are code points). Split: files with an even numeric id
are the "tune" half (used while the vocabulary was extended from aggregate statistics), odd
ids the "held-out" half; figures are reported for both halves and for all.

  python3 bench/policy_ca4p.py --appaudit build/bin/appaudit \
      --corpus ../shared/corpus/policies/ca4p-483 [--min-practice-precision P]
      [--min-practice-recall R] [--min-recall R] [--min-precision P] [--jobs N]
      [--gate-split all|heldout]

Exits 1 when a --min-* gate (on the micro figures over all files, or with --gate-split
heldout over the odd ids only: the half the tagger never saw) is not met: --min-precision
and --min-recall gate all mentions, --min-practice-* the practice mentions.

The practice flag is decided by the learned tagger (knowledge/policy_tagger.json), which is
trained on the even ids only (tests/tools/policy_tagger_train.cpp): its figures on the even
ids are training-set figures; the held-out (odd-id) figures are the honest ones.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import subprocess
import sys
import time


def run_one(appaudit, path):
    t0 = time.perf_counter()
    p = subprocess.run([appaudit, "policy", path, "--timings"], capture_output=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (path, p.returncode, p.stderr.decode(errors="replace")))
    stages = dict(kv.split("=") for kv in p.stderr.decode().split()[1:])
    return (json.loads(p.stdout)["policy"]["mentions"], dt,
            float(stages["read_decode"]) + float(stages["analyze"]), float(stages["knowledge"]))


def overlaps(a, b):
    return a[0] < b[1] and b[0] < a[1]


def annotated_sentences(text, annotations):
    """[start, end) of the sentences (split like the reader: 。！？；!?; and line breaks) that
    hold at least one span of a named class (数据, 收集, 分享, 目的, 条件, 操作者, 受试者)."""
    out, start = [], 0
    named = sorted((a["start"], a["end"]) for a in annotations if a.get("classId_name"))
    for i, c in enumerate(text + "\n"):
        if c in "。！？；!?;\n\r" or i == len(text):
            end = min(i + 1, len(text))
            if end > start and any(s < end and start < e for s, e in named):
                out.append((start, end))
            start = end
    return out


def score(mentions, gold):
    """(mentions overlapping gold, #mentions, gold overlapped, #gold)."""
    m = [(x["start"], x["end"]) for x in mentions]
    g = [(x["start"], x["end"]) for x in gold]
    def hits(xs, ys):
        return sum(1 for x in xs if any(overlaps(x, y) for y in ys))
    return hits(m, g), len(m), hits(g, m), len(g)


def quantiles(values):
    v = sorted(values)
    if not v:
        return {}
    q = lambda p: v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]
    return {"min": v[0], "p10": q(0.10), "median": q(0.5), "p90": q(0.9), "max": v[-1]}


def summarise(rows, key="all"):
    rows = [r[key] for r in rows]
    tp_m = sum(r["tp_m"] for r in rows)
    n_m = sum(r["n_m"] for r in rows)
    tp_g = sum(r["tp_g"] for r in rows)
    n_g = sum(r["n_g"] for r in rows)
    per_p = [r["tp_m"] / r["n_m"] for r in rows if r["n_m"]]
    per_r = [r["tp_g"] / r["n_g"] for r in rows if r["n_g"]]
    p = tp_m / n_m if n_m else 0.0
    rc = tp_g / n_g if n_g else 0.0
    return {
        "files": len(rows),
        "mentions": n_m,
        "gold_spans": n_g,
        "precision": p,
        "recall": rc,
        "f1": 2 * p * rc / (p + rc) if p + rc else 0.0,
        "per_file_precision": quantiles(per_p),
        "per_file_recall": quantiles(per_r),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--appaudit", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--min-precision", type=float, default=None)
    ap.add_argument("--min-recall", type=float, default=None)
    ap.add_argument("--min-practice-precision", type=float, default=None)
    ap.add_argument("--min-practice-recall", type=float, default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--gate-split", choices=("all", "heldout"), default="all",
                    help="which files the --min-* gates apply to")
    ap.add_argument("--json", help="write the figures as JSON here")
    args = ap.parse_args()

    texts = sorted(glob.glob(os.path.join(args.corpus, "text", "*.txt")))
    if not texts:
        print("no policies under %s/text" % args.corpus)
        return 1
    rows = []
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_one, args.appaudit, t): t for t in texts}
        results = {futures[f]: f.result() for f in concurrent.futures.as_completed(futures)}
    wall = time.perf_counter() - t0
    for t in texts:
        fid = os.path.basename(t)[:-4]
        mentions, dt, reader_ms, knowledge_ms = results[t]
        ann = json.load(open(os.path.join(args.corpus, "annotation_data", fid + ".json"),
                             encoding="utf-8"))
        gold = [a for a in ann if a.get("classId_name") == "数据"]
        chars = len(open(t, encoding="utf-8").read())
        row = {"id": fid, "seconds": dt, "reader_ms": reader_ms, "knowledge_ms": knowledge_ms,
               "chars": chars}
        practice = [m for m in mentions if m["practice"]]
        for key, ms in (("all", mentions), ("practice", practice)):
            tp_m, n_m, tp_g, n_g = score(ms, gold)
            row[key] = {"tp_m": tp_m, "n_m": n_m, "tp_g": tp_g, "n_g": n_g}
        # Diagnostic: the practice mentions inside sentences the annotators annotated at all.
        text = open(t, encoding="utf-8").read()
        sentences = annotated_sentences(text, ann)
        inside = [m for m in practice
                  if any(s <= m["start"] and m["end"] <= e for s, e in sentences)]
        tp_m, n_m, tp_g, n_g = score(inside, gold)
        row["practice_annotated"] = {"tp_m": tp_m, "n_m": n_m, "tp_g": tp_g, "n_g": n_g}
        rows.append(row)
    even = [r for r in rows if int(r["id"]) % 2 == 0]
    odd = [r for r in rows if int(r["id"]) % 2 == 1]
    out = {
        "all": summarise(rows),
        "tune_even_ids": summarise(even),
        "heldout_odd_ids": summarise(odd),
        "practice": {
            "all": summarise(rows, "practice"),
            "tune_even_ids": summarise(even, "practice"),
            "heldout_odd_ids": summarise(odd, "practice"),
        },
        # Not the target: precision of the practice mentions counted only in sentences that
        # carry any annotation (the annotators skipped whole practice sentences; docs/policy.md).
        "practice_in_annotated_sentences": {
            "all": summarise(rows, "practice_annotated"),
            "tune_even_ids": summarise(even, "practice_annotated"),
            "heldout_odd_ids": summarise(odd, "practice_annotated"),
        },
        "runtime": {
            "wall_seconds": wall,
            "jobs": args.jobs,
            "per_file_process_seconds": quantiles([r["seconds"] for r in rows]),
            "per_file_reader_ms": quantiles([r["reader_ms"] for r in rows]),
            "per_process_knowledge_ms": quantiles([r["knowledge_ms"] for r in rows]),
            "reader_ms_per_10k_chars": quantiles([r["reader_ms"] * 10000 / max(r["chars"], 1)
                                                  for r in rows]),
            "total_chars": sum(r["chars"] for r in rows),
        },
    }
    for label, figures in (("all mentions", out), ("practice mentions", out["practice"])):
        print("== %s" % label)
        for name in ("all", "tune_even_ids", "heldout_odd_ids"):
            s = figures[name]
            print("%-16s files %3d  mentions %6d  gold %6d  precision %.3f  recall %.3f  F1 %.3f" %
                  (name, s["files"], s["mentions"], s["gold_spans"], s["precision"], s["recall"],
                   s["f1"]))
            fmt = lambda d: " ".join("%s %.2f" % (k, v) for k, v in d.items())
            print("%-16s per-file precision: %s" % ("", fmt(s["per_file_precision"])))
            print("%-16s per-file recall:    %s" % ("", fmt(s["per_file_recall"])))
    print("== diagnostic: practice mentions in sentences with any annotation (precision only; "
          "recall is over all spans)")
    for name in ("all", "tune_even_ids", "heldout_odd_ids"):
        s = out["practice_in_annotated_sentences"][name]
        print("%-16s mentions %6d  precision %.3f" % (name, s["mentions"], s["precision"]))
    rt = out["runtime"]
    print("runtime: %d files, %d characters, %.1f s wall with %d jobs; per process: %s" %
          (len(rows), rt["total_chars"], wall, args.jobs,
           " ".join("%s %.0f ms" % (k, v * 1000) for k, v in rt["per_file_process_seconds"].items())))
    print("reader (decode + analyse, knowledge load excluded) per file: %s; per 10k characters: %s" %
          (" ".join("%s %.2f ms" % (k, v) for k, v in rt["per_file_reader_ms"].items()),
           " ".join("%s %.2f ms" % (k, v) for k, v in rt["reader_ms_per_10k_chars"].items())))
    print("knowledge load (embedded files + policy matchers and tagger) per process: %s" %
          " ".join("%s %.1f ms" % (k, v) for k, v in rt["per_process_knowledge_ms"].items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    ok = True
    split = "all" if args.gate_split == "all" else "heldout_odd_ids"
    mentions, pr = out[split], out["practice"][split]
    gates = (("precision", mentions["precision"], args.min_precision),
             ("recall", mentions["recall"], args.min_recall),
             ("practice precision", pr["precision"], args.min_practice_precision),
             ("practice recall", pr["recall"], args.min_practice_recall))
    for name, value, floor in gates:
        if floor is not None and value < floor:
            print("FAIL (%s): %s %.3f < %.3f" % (split, name, value, floor))
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
