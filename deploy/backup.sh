#!/usr/bin/env bash
# Backs up Plumbline into BACKUP_DIR/<UTC time>/: the PostgreSQL database (pg_dump -Fc, everything:
# specs, users, health history) and the specs as plumbline/v1 YAML (manage.py export_specs: readable,
# diffable, importable into any Plumbline). Keeps the newest PLUMBLINE_BACKUP_KEEP (default 14).
#   deploy/backup.sh [BACKUP_DIR]      default: $PLUMBLINE_BACKUP_DIR or /var/backups/plumbline
# Runs with Plumbline's environment (DATABASE_URL, ...): deploy/systemd/plumbline-backup.service.
set -euo pipefail
cd "$(dirname "$0")/.."
ME=deploy/backup.sh
PY=.venv/bin/python

case "${DATABASE_URL:-}" in
  postgres://* | postgresql://*) ;;
  "") echo "$ME: DATABASE_URL is not set: run with Plumbline's environment (/etc/plumbline/plumbline.env)" >&2; exit 2 ;;
  *) echo "$ME: DATABASE_URL is not a PostgreSQL URL (postgres://...): only PostgreSQL is backed up" >&2; exit 2 ;;
esac
root=${1:-${PLUMBLINE_BACKUP_DIR:-/var/backups/plumbline}}
keep=${PLUMBLINE_BACKUP_KEEP:-14}
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || { echo "$ME: PLUMBLINE_BACKUP_KEEP must be 1 or more (got '$keep')" >&2; exit 2; }

# A backup holds password hashes and token digests: readable by its owner only.
umask 077
mkdir -p "$root"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
name=$stamp
n=1
while [ -e "$root/$name" ]; do n=$((n + 1)); name=$stamp-$n; done
# Written aside and renamed when complete, so a directory with a timestamp is always a whole backup.
partial=$root/.$name.partial
trap 'rm -rf "$partial"' EXIT
mkdir "$partial"
pg_dump --format=custom --file="$partial/plumbline.dump" --dbname="$DATABASE_URL"
$PY manage.py export_specs "$partial/specs" >/dev/null
mv "$partial" "$root/$name"
trap - EXIT
echo "$ME: backed up to $root/$name ($(du -sh "$root/$name" | cut -f1))"

# Keep the newest $keep; older whole backups go (never a partial one being written).
mapfile -t backups < <(find "$root" -mindepth 1 -maxdepth 1 -type d -name '20*Z*' -printf '%f\n' | sort)
for ((i = 0; i < ${#backups[@]} - keep; i++)); do
  rm -rf "${root:?}/${backups[$i]}"
  echo "$ME: removed the old backup $root/${backups[$i]}"
done
