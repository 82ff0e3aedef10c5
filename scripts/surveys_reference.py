#!/usr/bin/env python3
"""Reference values for passerelle-surveys' statistics, computed with SciPy,
NumPy and statsmodels, written (inputs and expected outputs together) to
crates/surveys/tests/reference/reference.json, which the Rust tests read.

Run by hand when a test dataset changes; never needed at run time:

    python3 -m venv target/survey-venv
    target/survey-venv/bin/pip install scipy statsmodels pandas
    target/survey-venv/bin/python scripts/surveys_reference.py
"""
import json
import pathlib
import sys

import numpy as np
import pandas as pd
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import stats
from statsmodels.multivariate.manova import MANOVA

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/surveys/tests/reference/reference.json"
rng = np.random.default_rng(20230320)


def floats(a):
    return [float(v) for v in a]


def scale(n, lo, hi, centre):
    """Integer answers on a lo..hi scale, bunched around `centre`."""
    return np.clip(np.round(rng.normal(centre, (hi - lo) / 4, n)), lo, hi)


# Distribution tails, including far ones and fractional degrees of freedom.
dist = {
    "t": [{"x": x, "df": df, "p": float(2 * stats.t.sf(abs(x), df))}
          for x, df in [(0.3, 3), (1.96, 30), (2.5, 7.3), (8.0, 15), (25.0, 140), (4.2, 9999), (0.01, 1.5)]],
    "f": [{"x": x, "d1": d1, "d2": d2, "p": float(stats.f.sf(x, d1, d2))}
          for x, d1, d2 in [(0.5, 2, 20), (3.1, 2, 133), (12.0, 5, 40), (60.0, 3, 500), (1.2, 10.5, 33.7), (2.0, 99, 9900)]],
    "chi2": [{"x": x, "df": df, "p": float(stats.chi2.sf(x, df))}
             for x, df in [(0.2, 1), (3.84, 1), (11.0, 4), (150.0, 6), (900.0, 20), (35.5, 36)]],
}

summaries = []
for values in [scale(155, 1, 10, 7), scale(40, 1, 8, 4.5), rng.exponential(10, 155).round(), [5.0, 5.0, 5.0], [2.0, 9.0]]:
    v = np.asarray(values, dtype=float)
    summaries.append({
        "values": floats(v), "mean": float(v.mean()), "median": float(np.median(v)),
        "std": float(v.std(ddof=1)), "min": float(v.min()), "max": float(v.max()),
        "q1": float(np.quantile(v, 0.25)), "q3": float(np.quantile(v, 0.75)),
    })

# Seed 001's tableaux 3 and 11, and larger tables.
tables = [
    [[22, 45], [1, 110]],
    [[2, 46], [21, 109]],
    [[12, 30, 8], [25, 20, 40], [5, 9, 3], [14, 14, 15]],
    [[3, 1, 0, 2], [1, 4, 2, 1]],
]
chi = []
for t in tables:
    res = stats.chi2_contingency(np.array(t), correction=False)
    chi.append({
        "counts": t, "statistic": float(res.statistic), "df": int(res.dof), "p": float(res.pvalue),
        "expected": [floats(r) for r in res.expected_freq],
        "cramers_v": float(stats.contingency.association(np.array(t), method="cramer")),
    })

fisher = []
for t in [[[22, 45], [1, 110]], [[2, 46], [21, 109]], [[3, 1], [1, 3]], [[10, 0], [0, 10]], [[5, 7], [6, 4]]]:
    res = stats.fisher_exact(np.array(t))
    # JSON has no infinity: an undefined or infinite odds ratio is null.
    odds = float(res.statistic) if np.isfinite(res.statistic) else None
    fisher.append({"table": t, "odds_ratio": odds, "p": float(res.pvalue)})

ttests = []
for a, b in [(scale(53, 1, 8, 6.5), scale(87, 1, 8, 5.4)), (rng.normal(19, 12, 31).round(), rng.normal(8, 9, 124).round()), (scale(12, 1, 10, 4), scale(5, 1, 10, 7))]:
    s = stats.ttest_ind(a, b, equal_var=True)
    w = stats.ttest_ind(a, b, equal_var=False)
    pooled = ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    ttests.append({
        "a": floats(a), "b": floats(b),
        "student": {"statistic": float(s.statistic), "df": float(s.df), "p": float(s.pvalue)},
        "welch": {"statistic": float(w.statistic), "df": float(w.df), "p": float(w.pvalue)},
        "cohens_d": float((a.mean() - b.mean()) / np.sqrt(pooled)),
    })

anovas = []
for groups in [
    [scale(75, 1, 8, 6.3), scale(44, 1, 8, 4.6), scale(17, 1, 8, 3.8)],
    [scale(24, 1, 8, 6), scale(44, 1, 8, 6.4), scale(23, 1, 8, 3.5), scale(7, 1, 8, 2.8), scale(17, 1, 8, 5.7), scale(28, 1, 8, 3)],
    [scale(30, 1, 10, 5), scale(30, 1, 10, 5.2)],
]:
    f = stats.f_oneway(*groups)
    k, n = len(groups), sum(len(g) for g in groups)
    grand = np.concatenate(groups).mean()
    ssb = sum(len(g) * (g.mean() - grand) ** 2 for g in groups)
    ssw = sum(((g - g.mean()) ** 2).sum() for g in groups)
    mse = ssw / (n - k)
    lsd = [[None if i == j else float(2 * stats.t.sf(abs(groups[i].mean() - groups[j].mean()) / np.sqrt(mse * (1 / len(groups[i]) + 1 / len(groups[j]))), n - k))
            for j in range(k)] for i in range(k)]
    anovas.append({
        "groups": [floats(g) for g in groups], "statistic": float(f.statistic), "p": float(f.pvalue),
        "df_between": k - 1, "df_within": n - k, "eta_squared": float(ssb / (ssb + ssw)), "lsd": lsd,
    })

# OLS: a scale on age (numeric) and service (categorical, dummy-coded with
# the first level as reference).
n = 120
service = rng.choice(["ccas", "cdas", "cs"], n, p=[0.55, 0.32, 0.13])
age = rng.normal(42.7, 12, n).round()
formation = rng.choice(["non", "oui"], n, p=[0.62, 0.38])
effect = pd.Series(service).map({"ccas": 1.5, "cdas": 0.0, "cs": -0.3}).to_numpy()
y = np.clip(np.round(3 + effect + 0.02 * age + 0.8 * (formation == "oui") + rng.normal(0, 1.6, n)), 1, 8)
frame = pd.DataFrame({"service": pd.Categorical(service, ["ccas", "cdas", "cs"]), "age": age,
                      "formation": pd.Categorical(formation, ["non", "oui"])})
design = pd.get_dummies(frame, columns=["service", "formation"], drop_first=True, dtype=float)
fit = sm.OLS(y, sm.add_constant(design)).fit()
ols = {
    "y": floats(y), "service": list(service), "age": floats(age), "formation": list(formation),
    "names": list(fit.params.index), "coef": floats(fit.params), "se": floats(fit.bse),
    "t": floats(fit.tvalues), "p": floats(fit.pvalues), "r2": float(fit.rsquared),
    "adj_r2": float(fit.rsquared_adj), "f": float(fit.fvalue), "f_p": float(fit.f_pvalue),
}

# MANOVA: three scales across the three services.
g = rng.choice([0, 1, 2], 136, p=[0.55, 0.32, 0.13])
ys = np.column_stack([scale(136, 1, 8, 5) + shift * g for shift in (0.9, -0.7, 0.3)])
mframe = pd.DataFrame({"y1": ys[:, 0], "y2": ys[:, 1], "y3": ys[:, 2], "g": g})
table = MANOVA.from_formula("y1 + y2 + y3 ~ C(g)", data=mframe).mv_test().results["C(g)"]["stat"]


def mv(row):
    r = table.loc[row]
    return {"value": float(r["Value"]), "f": float(r["F Value"]), "df_num": float(r["Num DF"]),
            "df_den": float(r["Den DF"]), "p": float(r["Pr > F"])}


manova = {"y": [floats(r) for r in ys], "group": [int(v) for v in g],
          "pillai": mv("Pillai's trace"), "wilks": mv("Wilks' lambda")}

OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(json.dumps({
    "generated_by": "scripts/surveys_reference.py",
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                 "statsmodels": statsmodels.__version__, "pandas": pd.__version__},
    "dist": dist, "summaries": summaries, "chi_square": chi, "fisher": fisher, "ttests": ttests,
    "anovas": anovas, "ols": ols, "manova": manova,
}, indent=1) + "\n")
print(f"wrote {OUT}")
