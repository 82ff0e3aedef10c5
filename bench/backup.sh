#!/usr/bin/env bash
# Backup and restore times of `passerelle backup` / `passerelle restore`
# for a database of N activities (default 1,000,000) and R referrals
# (default 100,000), on SQLite and, when PASSERELLE_BENCH_POSTGRES_URL is
# set (an admin URL: scripts/postgres prints one), on PostgreSQL. Prints
# the times, the sizes, and the ratio against copying the database file
# (SQLite) or running pg_dump alone (PostgreSQL), the floor each stands on.
# Needs about 5 GB free for the default sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-1000000}
r=${R:-100000}
cargo build --release --locked -p passerelle --bin passerelle
cargo build --release --locked -p passerelle-store --example referrals_fixture
bin=$PWD/target/release/passerelle
fixture=$PWD/target/release/examples/referrals_fixture
work=$(mktemp -d "${TMPDIR:-/tmp}/passerelle-bench-backup.XXXXXX")
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }
mb() { python3 -c "print(f'{$1 / 1e6:,.0f}'.replace(',', ' '))"; }

"$bin" --data-dir "$work/gen" activities generate --n "$n" --seed 7 --output "$work/activites.csv" >/dev/null 2>>"$work/log"

bench() { # name, source URL, target URL
  local name=$1 source=$2 target=$3
  DATABASE_URL=$source "$bin" activities import "$work/activites.csv" >/dev/null 2>>"$work/log"
  DATABASE_URL=$source "$fixture" "$source" "$r" >/dev/null 2>>"$work/log"
  local t0 t1 t2
  t0=$(now)
  DATABASE_URL=$source "$bin" backup --output "$work/$name.tar" >"$work/$name-backup.txt" 2>>"$work/log"
  t1=$(now)
  DATABASE_URL=$target "$bin" restore "$work/$name.tar" >"$work/$name-restore.txt" 2>>"$work/log"
  t2=$(now)
  echo "$name: $n activities, $r referrals; archive $(mb "$(stat -c %s "$work/$name.tar")") MB"
  echo "  passerelle backup:  $(secs "$t0" "$t1") s (server may keep running)"
  echo "  passerelle restore: $(secs "$t1" "$t2") s (checksum, integrity, counts, migrations, retention jobs)"
  BACKUP_S=$(secs "$t0" "$t1")
}

# SQLite
db="$work/sqlite/passerelle.sqlite3"
bench sqlite "sqlite://$db" "sqlite://$work/sqlite-restored/passerelle.sqlite3"
t0=$(now)
cp "$db" "$work/copy.sqlite3"
t1=$(now)
copy=$(secs "$t0" "$t1")
echo "  floor: cp of the $(mb "$(stat -c %s "$db")") MB database file (offline only) $copy s; backup/cp x$(python3 -c "print(f'{$BACKUP_S / max($copy, 0.01):.1f}')")"
rm -rf "$work/sqlite" "$work/sqlite-restored" "$work/copy.sqlite3" "$work/sqlite.tar"

# PostgreSQL
if [ -n "${PASSERELLE_BENCH_POSTGRES_URL:-}" ]; then
  admin=$PASSERELLE_BENCH_POSTGRES_URL
  base=${admin%/*}
  for d in passerelle_bench_source passerelle_bench_restored; do
    psql "$admin" -qc "DROP DATABASE IF EXISTS $d" -qc "CREATE DATABASE $d" >/dev/null
  done
  bench postgresql "$base/passerelle_bench_source" "$base/passerelle_bench_restored"
  t0=$(now)
  pg_dump --format=custom --file="$work/plain.pgdump" "$base/passerelle_bench_source"
  t1=$(now)
  dump=$(secs "$t0" "$t1")
  echo "  floor: pg_dump --format=custom alone $dump s; backup/pg_dump x$(python3 -c "print(f'{$BACKUP_S / max($dump, 0.01):.1f}')")"
  for d in passerelle_bench_source passerelle_bench_restored; do
    psql "$admin" -qc "DROP DATABASE IF EXISTS $d" >/dev/null
  done
else
  echo "postgresql: skipped (set PASSERELLE_BENCH_POSTGRES_URL, e.g. to the URL scripts/postgres prints)"
fi
