#!/usr/bin/env bash
# Activités at scale: N synthetic records (default 1,000,000; N=10000000 for
# the national-scale figure), imported by `passerelle activities import`
# (records/s, peak RSS), then dashboard queries from the roll-ups, against
# DuckDB (PyPI) loading the same CSV and answering the same GROUP BY by a
# full scan. Prints the ratios. Then questions at any grain from the index of
# live records (issue 18) on SQLite and PostgreSQL (BENCH_POSTGRES=0 to skip)
# beside DuckDB answering the same questions, with the memory they take.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-1000000}
command -v /usr/bin/time >/dev/null || { echo "bench/activities.sh: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 1; }
venv=target/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q duckdb==1.1.3
cargo build -q --release -p passerelle
bin=target/release/passerelle
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export PASSERELLE_DATA_DIR=$data DATABASE_URL=
$bin activities generate --n "$n" --seed 42 --year 2025 --output "$data/activites.csv" 2>/dev/null
if ! /usr/bin/time -f "%e %M" -o "$data/time.txt" $bin activities import "$data/activites.csv" >"$data/import.log" 2>&1; then
  echo "bench/activities.sh: the import failed (a full disk?):" >&2
  tail -n 5 "$data/import.log" >&2
  exit 1
fi
read -r seconds rss_kb < "$data/time.txt"
rate=$(awk -v n="$n" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
echo "passerelle import (SQLite, one transaction, roll-ups included): $n records in ${seconds} s = ${rate} records/s, peak RSS $((rss_kb / 1024)) MiB"
ours=$(PASSERELLE_BENCH_DATA_DIR=$data cargo bench -q -p passerelle --bench activities 2>/dev/null | tail -n 1)
echo "$ours"
peer=$("$venv/bin/python" - "$data/activites.csv" data/reference/bretagne/communes.csv <<'PY'
import sys, time, random, duckdb
con = duckdb.connect()
t = time.perf_counter()
con.execute(f"CREATE TABLE a AS SELECT * FROM read_csv('{sys.argv[1]}', header=true, all_varchar=true)")
load = time.perf_counter() - t
con.execute(f"CREATE TABLE c AS SELECT * FROM read_csv('{sys.argv[2]}', header=true, all_varchar=true)")
epcis = ["200068120", "243500139", "242900314", "200042174", "200067981"]
dims = {"theme": "unnest(string_split(a.themes, '|'))", "type": "a.type", "age": "split_part(a.ages, ':', 1)", "statut": "split_part(a.statuts, ':', 1)", "organisation": "a.organisation"}
rnd = random.Random(99)
times = []
for i in range(200):
    k = rnd.randrange(3)
    where = "true" if k == 0 else (f"c.departement = '{rnd.choice(['22','29','35','56'])}'" if k == 1 else f"c.epci_code = '{rnd.choice(epcis)}'")
    m = rnd.randrange(3)
    period = ("2025-01-01", "2025-12-31") if m == 0 else (("2025-01-01", "2025-06-30") if m == 1 else (f"2025-{(mm := rnd.randrange(1, 13)):02d}-01", f"2025-{mm:02d}-31"))
    dim = dims[list(dims)[i % 5]]
    q = f"SELECT v, SUM(CAST(p AS INTEGER)) FROM (SELECT {dim} AS v, a.participants AS p FROM a JOIN c ON c.code_insee = a.commune WHERE {where} AND a.date BETWEEN '{period[0]}' AND '{period[1]}') GROUP BY v"
    t = time.perf_counter()
    con.execute(q).fetchall()
    times.append(time.perf_counter() - t)
times.sort()
print(f"{load:.2f} {times[100]*1000:.2f} {times[189]*1000:.2f}")
PY
)
read -r load p50 p95 <<< "$peer"
echo "DuckDB: CSV load ${load} s; same queries by full scan: p50 ${p50} ms, p95 ${p95} ms"
ours_p95=$(echo "$ours" | sed -n 's/.*p95 \([0-9.]*\) ms.*/\1/p')
awk -v a="$p95" -v b="$ours_p95" -v l="$load" -v s="$seconds" 'BEGIN {
  printf "ratios: dashboard p95 DuckDB/Passerelle x%.1f (target >= 10); import time Passerelle/DuckDB x%.1f (target <= 2)\n", a / b, s / l }'

# Questions at any grain (issue 18): the index of live records each server
# keeps, on SQLite and on PostgreSQL (BENCH_POSTGRES=0 to skip), against
# DuckDB answering the same 200 questions by a full scan.
echo "--- questions at any grain (index of live records) ---"
q_sqlite="$data/questions-sqlite.jsonl"
PASSERELLE_BENCH_DATA_DIR=$data PASSERELLE_BENCH_QUESTIONS=$q_sqlite \
  cargo bench -q -p passerelle --bench activity_stats 2>/dev/null | tee "$data/stats-sqlite.txt"
pg_p95=
if [ "${BENCH_POSTGRES:-1}" != 0 ]; then
  admin=$(scripts/postgres)
  pg_url="${admin%/*}/passerelle_bench"
  psql_() { runuser -u postgres -- psql -q -h 127.0.0.1 -p "$(cat target/postgres-test/port)" -U postgres "$@"; }
  psql_ -c "DROP DATABASE IF EXISTS passerelle_bench" -c "CREATE DATABASE passerelle_bench" postgres
  if ! DATABASE_URL=$pg_url /usr/bin/time -f "%e %M" -o "$data/time-pg.txt" $bin activities import "$data/activites.csv" >"$data/import-pg.log" 2>&1; then
    echo "bench/activities.sh: the PostgreSQL import failed:" >&2
    tail -n 5 "$data/import-pg.log" >&2
    exit 1
  fi
  read -r pg_seconds pg_rss_kb < "$data/time-pg.txt"
  pg_rate=$(awk -v n="$n" -v s="$pg_seconds" 'BEGIN { printf "%.0f", n / s }')
  echo "passerelle import (PostgreSQL, one transaction, roll-ups included): $n records in ${pg_seconds} s = ${pg_rate} records/s, peak RSS $((pg_rss_kb / 1024)) MiB"
  DATABASE_URL=$pg_url PASSERELLE_BENCH_DATA_DIR=$data PASSERELLE_BENCH_QUESTIONS="$data/questions-pg.jsonl" \
    cargo bench -q -p passerelle --bench activity_stats 2>/dev/null | tee "$data/stats-pg.txt"
  pg_p95=$(sed -n 's/.*questions at any grain.*p95 \([0-9.]*\) ms.*/\1/p' "$data/stats-pg.txt")
  psql_ -c "DROP DATABASE passerelle_bench" postgres
fi
duck=$("$venv/bin/python" - "$data/activites.csv" data/reference/bretagne/communes.csv "$q_sqlite" <<'PY'
import sys, json, time, duckdb
con = duckdb.connect()
con.execute(f"CREATE TABLE a AS SELECT * FROM read_csv('{sys.argv[1]}', header=true, all_varchar=true)")
con.execute(f"CREATE TABLE c AS SELECT * FROM read_csv('{sys.argv[2]}', header=true, all_varchar=true)")
seed = "CASE split_part(a.ages, ':', 1) WHEN 'moins de 12 ans' THEN '12 ans et -' WHEN '12-17 ans' THEN '12-18 ans' WHEN '18-24 ans' THEN '18-35 ans' WHEN '25-39 ans' THEN '18-35 ans' WHEN '40-59 ans' THEN '35-60 ans' WHEN '60-69 ans' THEN '60 ans et +' WHEN '70 ans et plus' THEN '60 ans et +' ELSE 'non communiqué' END"
dims = {"theme": "unnest(string_split(a.themes, '|'))", "type": "a.type", "age": seed, "mois": "substr(a.date, 1, 7)", "departement": "c.departement"}
def where(q):
    level, _, code = q["territory"].partition(":")
    w = {"all": "true", "reg": "true", "dep": f"c.departement = '{code}'", "epci": f"c.epci_code = '{code}'", "com": f"a.commune = '{code}'"}[level]
    w += f" AND a.date BETWEEN '{q['from']}' AND '{q['to']}'"
    for dim, value in q["filters"]:
        if dim == "type": w += f" AND a.type = '{value}'"
        if dim == "theme": w += f" AND list_contains(string_split(a.themes, '|'), '{value}')"
        if dim == "age": w += f" AND split_part(a.ages, ':', 1) = '{value}'"
    return w
times, agree = [], 0
for line in open(sys.argv[3]):
    q = json.loads(line)
    cols = ", ".join(f"{dims[d]} AS d{i}" for i, d in enumerate(q["by"]))
    groups = ", ".join(f"d{i}" for i in range(len(q["by"])))
    sql = f"SELECT {groups}, SUM(CAST(p AS INTEGER)), COUNT(*) FROM (SELECT {cols}, a.participants AS p FROM a JOIN c ON c.code_insee = a.commune WHERE {where(q)}) GROUP BY {groups}"
    t = time.perf_counter()
    con.execute(sql).fetchall()
    times.append(time.perf_counter() - t)
    n = con.execute(f"SELECT COUNT(*) FROM a JOIN c ON c.code_insee = a.commune WHERE {where(q)}").fetchone()[0]
    agree += n == q["records"]
times.sort()
print(f"{times[100]*1000:.2f} {times[189]*1000:.2f} {agree}")
PY
)
read -r d50 d95 agree <<< "$duck"
echo "DuckDB, the same 200 questions by full scan: p50 ${d50} ms, p95 ${d95} ms (same record count as Passerelle on ${agree}/200)"
sq_p95=$(sed -n 's/.*questions at any grain.*p95 \([0-9.]*\) ms.*/\1/p' "$data/stats-sqlite.txt")
awk -v d="$d95" -v s="$sq_p95" -v p="$pg_p95" 'BEGIN {
  printf "ratios: questions p95 DuckDB/Passerelle on SQLite x%.1f", d / s
  if (p != "") printf ", on PostgreSQL x%.1f", d / p
  printf " (target: p95 < 50 ms at 10 M records)\n" }'

# Side by side: the figures above in one table, with the ratios.
index_of() { sed -n 's/.*index build.*records in \([0-9.]*\) s, index \([0-9]*\) MiB (\([0-9]*\) bytes a record), process peak RSS \([0-9]*\) MiB.*/\1 \2 \3 \4/p' "$1"; }
p50_of() { sed -n 's/.*questions at any grain.*p50 \([0-9.]*\) ms.*/\1/p' "$1"; }
read -r sq_build sq_mib sq_bytes sq_rss <<< "$(index_of "$data/stats-sqlite.txt")"
sq_p50=$(p50_of "$data/stats-sqlite.txt")
echo
echo "=== $n records: side by side ==="
printf '%-44s %18s %18s %18s\n' "" "SQLite" "PostgreSQL" "DuckDB"
pg_cell() { if [ -n "$pg_p95" ]; then printf '%s' "$1"; else printf 'n/a'; fi; }
if [ -n "$pg_p95" ]; then
  read -r pg_build pg_mib pg_bytes pg_irss <<< "$(index_of "$data/stats-pg.txt")"
  pg_p50=$(p50_of "$data/stats-pg.txt")
fi
duck_rate=$(awk -v n="$n" -v l="$load" 'BEGIN { printf "%.0f", n / l }')
printf '%-44s %18s %18s %18s\n' "import (records/s)" "$rate" "$(pg_cell "${pg_rate:-}")" "$duck_rate (load)"
printf '%-44s %18s %18s %18s\n' "import peak RSS (MiB)" "$((rss_kb / 1024))" "$(pg_cell "$(( ${pg_rss_kb:-0} / 1024 ))")" ""
printf '%-44s %18s %18s %18s\n' "index build at start (s)" "$sq_build" "$(pg_cell "${pg_build:-}")" ""
printf '%-44s %18s %18s %18s\n' "index memory (MiB, bytes a record)" "$sq_mib, $sq_bytes" "$(pg_cell "${pg_mib:-}, ${pg_bytes:-}")" ""
printf '%-44s %18s %18s %18s\n' "200 questions p50 (ms)" "$sq_p50" "$(pg_cell "${pg_p50:-}")" "$d50"
printf '%-44s %18s %18s %18s\n' "200 questions p95 (ms)" "$sq_p95" "$(pg_cell "$pg_p95")" "$d95"
awk -v n="$n" -v r="$rate" -v pr="${pg_rate:-}" -v dr="$duck_rate" -v d="$d95" -v s="$sq_p95" -v p="$pg_p95" 'BEGIN {
  printf "ratios: import records/s Passerelle/DuckDB load: SQLite x%.2f", r / dr
  if (pr != "") printf ", PostgreSQL x%.2f", pr / dr
  printf " (target >= 100000 records/s: SQLite %s", (r >= 100000 ? "met" : "NOT met")
  if (pr != "") printf ", PostgreSQL %s", (pr >= 100000 ? "met" : "NOT met")
  printf ")\n"
  printf "ratios: questions p95 DuckDB/Passerelle: SQLite x%.1f", d / s
  if (p != "") printf ", PostgreSQL x%.1f", d / p
  printf " (target p95 < 50 ms: SQLite %s", (s < 50 ? "met" : "NOT met")
  if (p != "") printf ", PostgreSQL %s", (p < 50 ? "met" : "NOT met")
  printf ")\n" }'
