#!/usr/bin/env bash
# Enquêtes at scale: N respondents (default 10,000) × Q questions (default
# 100: 40 single choices, 10 multiple choices of 4 options, 50 scales 1–10,
# 5 % missing answers), generated with SEED; then every flat sort, 1,000
# crosstabs with chi-square and 100 one-way ANOVAs with LSD letters, by
# `passerelle survey analyze` and by pandas + SciPy in one Python script on
# the same CSV (bench/surveys_baseline.py). Whole processes are timed
# (start-up, CSV parsing and JSON output included), best of RUNS (default
# 3); prints both times, the ratio, peak RSS, and checks that both found
# the same statistics.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-10000} q=${Q:-100} seed=${SEED:-42} runs=${RUNS:-3}
command -v /usr/bin/time >/dev/null || { echo "bench/surveys.sh: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 1; }
venv=target/survey-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q scipy==1.17.1 pandas==3.1.1 numpy==2.4.6 2>/dev/null \
  || "$venv/bin/pip" install -q scipy pandas numpy
cargo build -q --release -p passerelle
bin=target/release/passerelle
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
python3 bench/surveys_baseline.py generate "$data" --respondents "$n" --questions "$q" --seed "$seed"
plan=()
while read -r kind spec; do plan+=("--$kind" "$spec"); done < "$data/plan.txt"

best() { # command…: prints "seconds rss_kb", best time of $runs, largest RSS
  local t=999999 m=0 s k
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$data/time.txt" "$@" 2>/dev/null >/dev/null
    read -r s k < "$data/time.txt"
    t=$(awk -v a="$t" -v b="$s" 'BEGIN { print (b < a ? b : a) }')
    m=$(( k > m ? k : m ))
  done
  echo "$t $m"
}
read -r rust_s rust_kb < <(best $bin survey analyze --questionnaire "$data/questionnaire.toml" \
  --responses "$data/responses.csv" "${plan[@]}" --format json --output "$data/rust.json")
read -r py_s py_kb < <(best "$venv/bin/python" bench/surveys_baseline.py run "$data")
echo "data: $n respondents × $q questions ($(du -h "$data/responses.csv" | cut -f1) CSV), $(grep -c '^cross' "$data/plan.txt") crosstabs, $(grep -c '^compare' "$data/plan.txt") ANOVAs with LSD"
echo "passerelle survey analyze: ${rust_s} s, peak RSS $((rust_kb / 1024)) MiB"
echo "pandas + SciPy:            ${py_s} s, peak RSS $((py_kb / 1024)) MiB"
awk -v r="$rust_s" -v p="$py_s" 'BEGIN { printf "ratio: passerelle is %.1f× faster\n", p / (r > 0 ? r : 0.01) }'
"$venv/bin/python" - "$data/rust.json" "$data/python.json" <<'PY'
import json, sys
rust, py = (json.load(open(p)) for p in sys.argv[1:3])
worst = 0.0
def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)
for r, p in zip(rust["crosstabs"], py["crosstabs"]):
    for k in ("chi2", "p", "cramers_v"):
        worst = max(worst, rel(r[k], p[k]))
    if "fisher_p" in p:
        worst = max(worst, rel(r["fisher"]["p"], p["fisher_p"]))
letters_differ = 0
for r, p in zip(rust["comparisons"], py["comparisons"]):
    for k in ("statistic", "p", "eta_squared"):
        worst = max(worst, rel(r[k], p[k]))
    ours = [g["letters"] for g in r["groups"] if g["n"] > 0]
    letters_differ += ours != [g["letters"] for g in p["groups"]]
for r, p in zip(rust["questions"], py["questions"]):
    assert r["n"] == p["n"] and r["missing"] == p["missing"], r["id"]
    for k in ("mean", "median", "std", "q1", "q3"):
        if k in p:
            worst = max(worst, rel(r[k], p[k]))
print(f"agreement: largest relative difference {worst:.1e} over {len(rust['crosstabs'])} crosstabs, "
      f"{len(rust['comparisons'])} ANOVAs and {len(rust['questions'])} flat sorts; letter displays differing: {letters_differ}")
PY
