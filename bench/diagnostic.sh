#!/usr/bin/env bash
# Diagnostic benchmark: whole France (34,969 communes, 13,203 generated
# places, 9 services + any). Passerelle computes the nearest place for every
# commune and every service, and every indicator (crates/diagnostic/benches);
# then PostgreSQL + PostGIS does the same nearest-place computation: KNN
# (`<->`) on a GiST index, one query per service (one indexed table per
# service), timed server-side work only (index builds not timed; ours are).
# Finally both answers are compared. Needs Debian's postgresql-15-postgis-3.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(cargo bench -q -p passerelle-diagnostic --bench diagnostic 2>/dev/null)
grep -v '_seconds=' <<<"$out"
ours=$(sed -n 's/^passerelle_nearest_seconds=//p' <<<"$out")
ours_one=$(sed -n 's/^passerelle_nearest_one_core_seconds=//p' <<<"$out")

admin=$(scripts/postgres)
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
psql() { PGOPTIONS="-c client_min_messages=warning" "$bin/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql "$admin" -c "DROP DATABASE IF EXISTS passerelle_diagnostic_bench" -c "CREATE DATABASE passerelle_diagnostic_bench"
db="${admin%/*}/passerelle_diagnostic_bench"
psql "$db" >/dev/null <<'SQL'
CREATE EXTENSION postgis;
CREATE TABLE communes (code text PRIMARY KEY, lat float8, lng float8);
CREATE TABLE places (id int PRIMARY KEY, lat float8, lng float8, services int[]);
\copy communes FROM 'target/bench-diagnostic-communes.csv' CSV HEADER
\copy places FROM 'target/bench-diagnostic-places.csv' CSV HEADER
ALTER TABLE communes ADD COLUMN geog geography(Point, 4326);
UPDATE communes SET geog = ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography;
ALTER TABLE places ADD COLUMN geog geography(Point, 4326);
UPDATE places SET geog = ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography;
CREATE TABLE places_0 AS SELECT id, geog FROM places;
DO $$ BEGIN
  FOR k IN 1..9 LOOP
    EXECUTE format('CREATE TABLE places_%s AS SELECT id, geog FROM places WHERE services @> ARRAY[%s]', k, k);
  END LOOP;
  FOR k IN 0..9 LOOP
    EXECUTE format('CREATE INDEX ON places_%s USING gist (geog)', k);
  END LOOP;
END $$;
VACUUM ANALYZE;
SQL
queries=$(for k in $(seq 0 9); do
  echo "SELECT count(*), sum(n.km) FROM communes c CROSS JOIN LATERAL (SELECT ST_Distance(p.geog, c.geog, false) / 1000 AS km FROM places_$k p ORDER BY p.geog <-> c.geog LIMIT 1) n;"
done)
psql "$db" -c "$queries" >/dev/null   # warm the cache
start=$(date +%s.%N)
psql "$db" -c "$queries" >/dev/null
theirs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
echo "PostGIS (KNN <-> on GiST, one query per service, one backend): $theirs s for the same 349,690 nearest places"
awk -v t="$theirs" -v o="$ours" -v p="$ours_one" 'BEGIN {
  printf "ratio PostGIS / Passerelle: x%.0f (Passerelle on the machine cores), x%.0f (Passerelle on one core) — target >= x10\n", t / o, t / p }'

# Same answers? Nearest place per commune and service, and its distance.
psql "$db" -At <<'SQL'
CREATE TABLE ours (service int, code text, place int, km float8);
\copy ours FROM 'target/bench-diagnostic-ours.csv' CSV HEADER
CREATE TABLE theirs AS SELECT 0 AS service, c.code, n.id AS place, n.km FROM communes c CROSS JOIN LATERAL (SELECT p.id, ST_Distance(p.geog, c.geog, false) / 1000 AS km FROM places_0 p ORDER BY p.geog <-> c.geog LIMIT 1) n;
DO $$ BEGIN
  FOR k IN 1..9 LOOP
    EXECUTE format('INSERT INTO theirs SELECT %s, c.code, n.id, n.km FROM communes c CROSS JOIN LATERAL (SELECT p.id, ST_Distance(p.geog, c.geog, false) / 1000 AS km FROM places_%s p ORDER BY p.geog <-> c.geog LIMIT 1) n', k, k);
  END LOOP;
END $$;
SELECT format('agreement: %s of %s (commune, service) pairs, same nearest place %s, distances differ by at most %s m (PostGIS sphere of radius 6,371,008.8 m)',
  count(*), (SELECT count(*) FROM theirs), sum((o.place = t.place)::int), round((max(abs(o.km - t.km)) * 1000)::numeric, 3))
FROM ours o JOIN theirs t USING (service, code);
SQL
