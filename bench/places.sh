#!/usr/bin/env bash
# Lieux benchmark: 100,000 generated places; in-process search against
# PostgreSQL + PostGIS (KNN on a GiST index) with the same query; then
# `GET /api/v1/places?near=…&service=…` on a release `passerelle serve`
# under wrk on loopback. Needs Debian's postgresql-15-postgis-3 and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/places.sh: wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
pg=$(scripts/postgres)
PASSERELLE_BENCH_POSTGIS_URL=$pg cargo bench -q -p passerelle-web --bench places 2>/dev/null
cargo build -q --release -p passerelle
bin=target/release/passerelle
data=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
export PASSERELLE_DATA_DIR=$data DATABASE_URL=
$bin territories import ../shared/data/france/communes.csv >/dev/null 2>&1
start=$(date +%s.%N)
$bin places import target/bench-places.csv >/dev/null 2>&1
echo "import of the 100,000 places (CLI, SQLite): $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
$bin serve --addr 127.0.0.1:0 > "$data/serve.log" 2>/dev/null &
server=$!
until grep -q listening "$data/serve.log" 2>/dev/null; do sleep 0.1; done
base=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$data/serve.log")
url="$base/api/v1/places?near=48.1113,-1.68&radius_km=10&service=Aide+aux+d%C3%A9marches+administratives&fees=Gratuit&limit=20"
curl -sf "$url" > /dev/null   # builds the in-memory index
wrk -t2 -c32 -d10s --latency "$url" > "$data/wrk.txt"
rps=$(awk '/Requests\/sec/ {print $2}' "$data/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$data/wrk.txt")
echo "HTTP GET /api/v1/places (near + 2 filters, 20 results max) under wrk -t2 -c32 -d10s on 2 cores shared with the server: ${rps} requests/s, p99 ${p99} (target ≥ 3,000 requests/s)"
