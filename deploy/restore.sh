#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh into the database DATABASE_URL names.
#   deploy/restore.sh BACKUP_DIR [--force]
# The database must be empty (createdb it first); --force restores over an existing Plumbline
# database, dropping what the backup holds first. Stop web, worker and beat before, and run
# `bin/serve migrate` after (a backup from an older release is migrated forward).
set -euo pipefail
cd "$(dirname "$0")/.."
ME=deploy/restore.sh

usage() { echo "usage: $ME BACKUP_DIR [--force]" >&2; exit 2; }
backup="" force=""
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -*) usage ;;
    *) [ -z "$backup" ] || usage; backup=$arg ;;
  esac
done
[ -n "$backup" ] || usage
dump=$backup/plumbline.dump
[ -f "$dump" ] || { echo "$ME: $dump not found: give a directory deploy/backup.sh wrote" >&2; exit 2; }
case "${DATABASE_URL:-}" in
  postgres://* | postgresql://*) ;;
  *) echo "$ME: DATABASE_URL must name the PostgreSQL database to restore into (postgres://...)" >&2; exit 2 ;;
esac

# Tables, views and sequences outside PostgreSQL's own schemas: any means the database is in use.
relations=$(psql --no-psqlrc --quiet --tuples-only --no-align --dbname="$DATABASE_URL" --command="
  SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'")
options=(--no-owner --no-acl --exit-on-error --single-transaction)
if [ "$relations" != "0" ]; then
  if [ -z "$force" ]; then
    echo "$ME: the database already holds $relations tables, views or sequences; nothing was restored." >&2
    echo "$ME: restore into an empty database (createdb), or add --force to replace what it holds." >&2
    exit 1
  fi
  options+=(--clean --if-exists)
fi
pg_restore "${options[@]}" --dbname="$DATABASE_URL" "$dump"
echo "$ME: restored $dump; now run 'bin/serve migrate', then start web, worker and beat"
