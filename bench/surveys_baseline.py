#!/usr/bin/env python3
"""The Enquêtes benchmark's data and its Python baseline.

    surveys_baseline.py generate DIR [--respondents 10000] [--questions 100] [--seed 42]
        writes DIR/questionnaire.toml, DIR/responses.csv and DIR/plan.txt
        (1,000 crosstabs and 100 comparisons, one `cross A,B` or
        `compare Y,G` per line). Standard library only.
    surveys_baseline.py run DIR
        does with pandas + SciPy what `passerelle survey analyze` does with
        the same plan: every flat sort, the crosstabs with chi-square
        (Cramér's V, Fisher for 2×2), the one-way ANOVAs with Fisher's LSD
        and letters; writes the results as JSON to DIR/python.json.
"""
import argparse
import json
import pathlib
import random
import sys


def generate(args):
    rng = random.Random(args.seed)
    out = pathlib.Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    n_single = args.questions * 2 // 5
    n_multiple = args.questions // 10
    n_scale = args.questions - n_single - n_multiple
    questions = []
    for i in range(n_single):
        k = rng.randint(2, 6)
        questions.append(("single", f"c{i:03d}", [f"o{j}" for j in range(k)]))
    for i in range(n_multiple):
        questions.append(("multiple", f"m{i:03d}", [f"o{j}" for j in range(4)]))
    for i in range(n_scale):
        questions.append(("scale", f"s{i:03d}", None))
    lines = ['id = "bench"', 'title = "Benchmark"', ""]
    for kind, qid, options in questions:
        lines += ["[[questions]]", f'id = "{qid}"', f'type = "{kind}"', f'text = "Question {qid}"']
        if options:
            opts = ", ".join(f'{{ code = "{o}", label = "Réponse {o}" }}' for o in options)
            lines.append(f"options = [{opts}]")
        else:
            lines += ["min = 1", "max = 10"]
        lines.append("")
    (out / "questionnaire.toml").write_text("\n".join(lines))
    header = []
    for kind, qid, options in questions:
        header += [f"{qid}.{o}" for o in options] if kind == "multiple" else [qid]
    with (out / "responses.csv").open("w") as f:
        f.write(",".join(header) + "\n")
        for _ in range(args.respondents):
            cells = []
            for kind, qid, options in questions:
                missing = rng.random() < 0.05
                if kind == "single":
                    cells.append("" if missing else rng.choice(options))
                elif kind == "multiple":
                    cells += [""] * len(options) if missing else [str(int(rng.random() < 0.4)) for _ in options]
                else:
                    cells.append("" if missing else str(min(10, max(1, round(rng.gauss(6, 2.5))))))
            f.write(",".join(cells) + "\n")
    categorical = [q for k, q, o in questions if k == "single"]
    categorical += [f"{q}.{opt}" for k, q, o in questions if k == "multiple" for opt in o]
    pairs = set()
    while len(pairs) < 1000:
        a, b = rng.sample(categorical, 2)
        pairs.add((a, b))
    groups = [q for k, q, o in questions if k == "single" and len(o) >= 3]
    scales = [q for k, q, o in questions if k == "scale"]
    compares = [(scales[i % len(scales)], groups[(i * 7) % len(groups)]) for i in range(100)]
    with (out / "plan.txt").open("w") as f:
        for a, b in sorted(pairs):
            f.write(f"cross {a},{b}\n")
        for y, g in compares:
            f.write(f"compare {y},{g}\n")


def letters(names, p, alpha=0.05):
    """Compact letter display, insert-and-absorb, as the Rust side."""
    k = len(names)
    columns = [set(range(k))]
    for i in range(k):
        for j in range(i + 1, k):
            if p[i][j] is None or p[i][j] >= alpha:
                continue
            nxt = []
            for c in columns:
                if i in c and j in c:
                    nxt += [c - {i}, c - {j}]
                else:
                    nxt.append(c)
            columns = [c for a, c in enumerate(nxt)
                       if not any(a != b and c <= o and (c != o or b < a) for b, o in enumerate(nxt))]
    columns = sorted((c for c in columns if c), key=min)
    return ["".join(chr(97 + n) for n, c in enumerate(columns) if i in c) for i in range(k)]


def run(args):
    import time
    start = time.perf_counter()
    import numpy as np
    import pandas as pd
    from scipy import stats
    import tomllib

    out = pathlib.Path(args.dir)
    q = tomllib.loads((out / "questionnaire.toml").read_text())
    df = pd.read_csv(out / "responses.csv", dtype=str, keep_default_na=False)
    result = {"questions": [], "crosstabs": [], "comparisons": []}
    for question in q["questions"]:
        qid, kind = question["id"], question["type"]
        if kind == "single":
            col = df[qid].replace("", np.nan)
            counts = col.value_counts()
            n = int(counts.sum())
            result["questions"].append({"id": qid, "n": n, "missing": int(col.isna().sum()),
                                        "frequencies": [{"value": o["code"], "count": int(counts.get(o["code"], 0)),
                                                         "percent": float(counts.get(o["code"], 0) * 100 / n)} for o in question["options"]]})
        elif kind == "multiple":
            cols = df[[f"{qid}.{o['code']}" for o in question["options"]]].replace("", np.nan).astype(float)
            answered = cols.notna().any(axis=1)
            n = int(answered.sum())
            sums = cols[answered].sum()
            result["questions"].append({"id": qid, "n": n, "missing": int((~answered).sum()),
                                        "frequencies": [{"value": c, "count": int(s), "percent": float(s * 100 / n)} for c, s in sums.items()]})
        else:
            col = pd.to_numeric(df[qid].replace("", np.nan))
            v = col.dropna()
            result["questions"].append({"id": qid, "n": int(v.count()), "missing": int(col.isna().sum()),
                                        "mean": float(v.mean()), "median": float(v.median()), "std": float(v.std()),
                                        "min": float(v.min()), "max": float(v.max()),
                                        "q1": float(v.quantile(0.25)), "q3": float(v.quantile(0.75))})
    plan = [line.split(" ", 1) for line in (out / "plan.txt").read_text().splitlines()]
    for kind, spec in plan:
        a, b = spec.split(",")
        if kind == "cross":
            x = df[a].replace("", np.nan)
            y = df[b].replace("", np.nan)
            table = pd.crosstab(x, y)
            chi2, p, dof, expected = stats.chi2_contingency(table.to_numpy(), correction=False)
            v = stats.contingency.association(table.to_numpy(), method="cramer")
            entry = {"rows": a, "cols": b, "counts": table.to_numpy().tolist(), "chi2": float(chi2), "df": int(dof),
                     "p": float(p), "cramers_v": float(v), "expected": expected.tolist()}
            if table.shape == (2, 2):
                entry["fisher_p"] = float(stats.fisher_exact(table.to_numpy()).pvalue)
            result["crosstabs"].append(entry)
        else:
            y = pd.to_numeric(df[a].replace("", np.nan))
            g = df[b].replace("", np.nan)
            frame = pd.DataFrame({"y": y, "g": g}).dropna()
            grouped = frame.groupby("g")["y"]
            names = list(grouped.groups)
            samples = [grouped.get_group(n).to_numpy() for n in names]
            f, p = stats.f_oneway(*samples)
            k, n = len(samples), sum(len(s) for s in samples)
            mse = sum(((s - s.mean()) ** 2).sum() for s in samples) / (n - k)
            grand = frame["y"].mean()
            ssb = sum(len(s) * (s.mean() - grand) ** 2 for s in samples)
            pairs = [[None if i == j else float(2 * stats.t.sf(abs(samples[i].mean() - samples[j].mean())
                                                                 / np.sqrt(mse * (1 / len(samples[i]) + 1 / len(samples[j]))), n - k))
                      for j in range(k)] for i in range(k)]
            result["comparisons"].append({"question": a, "by": b, "test": "anova", "statistic": float(f), "p": float(p),
                                          "eta_squared": float(ssb / (ssb + mse * (n - k))),
                                          "groups": [{"value": nm, "n": len(s), "mean": float(s.mean()), "std": float(s.std(ddof=1)), "letters": l}
                                                     for nm, s, l in zip(names, samples, letters(names, pairs))]})
    (out / "python.json").write_text(json.dumps(result))
    print(f"python_seconds {time.perf_counter() - start:.3f}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("dir")
    g.add_argument("--respondents", type=int, default=10_000)
    g.add_argument("--questions", type=int, default=100)
    g.add_argument("--seed", type=int, default=42)
    r = sub.add_parser("run")
    r.add_argument("dir")
    args = parser.parse_args()
    generate(args) if args.command == "generate" else run(args)


if __name__ == "__main__":
    main()
