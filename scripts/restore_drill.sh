#!/usr/bin/env bash
# Restore drill: proves a backup can be restored. Dumps DBNAME in pg_dump's custom format (the
# format of our backups), restores the dump into a scratch database DBNAME_restore_drill on
# the same server, and compares the row count of every table with the counts of the moment
# the dump was taken (one snapshot for both, so a live database with the app writing still
# compares equal). Exit 0 only when every count matches; the scratch database is dropped.
#
#   scripts/restore_drill.sh DBNAME
#   docker compose run --rm backup /scripts/restore_drill.sh conductor
#
# The connection comes from libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD); the user
# needs CREATEDB. PG_BIN names the folder of psql, pg_dump and pg_restore when they are not
# on PATH; pg_dump must be at least the server's major version. KEEP_DUMP=path keeps the dump.
set -euo pipefail

db="${1:?usage: restore_drill.sh DBNAME}"
scratch="${db}_restore_drill"
bin="${PG_BIN:+$PG_BIN/}"
work="$(mktemp -d)"
dump="${KEEP_DUMP:-$work/drill.dump}"
psql=("${bin}psql" -X -q -A -t -v ON_ERROR_STOP=1)

cleanup() {
  "${psql[@]}" -d "$db" -c "DROP DATABASE IF EXISTS \"$scratch\"" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# "schema.table count" for every ordinary and partitioned table outside the system schemas:
# one COUNT statement per table, generated and run by psql's \gexec (no query_to_xml: the
# embedded PostgreSQL of `make test` is built without libxml).
count_sql="SELECT format('SELECT %L || '' '' || count(*) FROM %I.%I',
  format('%I.%I', n.nspname, c.relname), n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema'
  AND n.nspname NOT LIKE 'pg\_%'
ORDER BY format('%I.%I', n.nspname, c.relname) \gexec"

# One read-only transaction exports its snapshot; pg_dump dumps exactly that snapshot and the
# same transaction counts the rows afterwards.
coproc SOURCE { "${psql[@]}" -d "$db" 2>&1; }
# bash unsets SOURCE_PID as soon as the coprocess has exited, which after `\q` may come
# before we wait for it: keep the pid.
source_pid="$SOURCE_PID"
printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;" \
  "SELECT pg_export_snapshot();" >&"${SOURCE[1]}"
IFS= read -r snapshot <&"${SOURCE[0]}"
if [[ ! "$snapshot" =~ ^[0-9A-F-]+$ ]]; then
  echo "restore drill: could not open a snapshot of $db: $snapshot" >&2
  exit 1
fi

echo "restore drill: dumping $db"
"${bin}pg_dump" --format=custom --snapshot="$snapshot" --dbname="$db" --file="$dump"
printf '%s\n' "$count_sql" "SELECT 'end-of-counts';" >&"${SOURCE[1]}"
while IFS= read -r line <&"${SOURCE[0]}" && [[ "$line" != end-of-counts ]]; do
  printf '%s\n' "$line"
done >"$work/source.counts"
printf '%s\n' "COMMIT;" '\q' >&"${SOURCE[1]}"
wait "$source_pid" 2>/dev/null || true

echo "restore drill: restoring $(du -h "$dump" | cut -f1) into $scratch"
"${psql[@]}" -d "$db" -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS \"$scratch\"" -c "CREATE DATABASE \"$scratch\""
"${bin}pg_restore" --exit-on-error --no-owner --no-privileges --dbname="$scratch" "$dump"
"${psql[@]}" -d "$scratch" <<<"$count_sql" >"$work/restored.counts"

tables="$(wc -l <"$work/source.counts")"
if ((tables == 0)); then
  echo "restore drill: $db has no tables; nothing was proved" >&2
  exit 1
fi
if ! diff -u "$work/source.counts" "$work/restored.counts" >"$work/difference"; then
  echo "restore drill: FAILED, row counts differ (- $db at dump time, + restored copy):" >&2
  cat "$work/difference" >&2
  exit 1
fi
rows="$(awk '{ total += $2 } END { print total }' "$work/source.counts")"
echo "restore drill: ok, $tables tables and $rows rows restored with equal counts"
