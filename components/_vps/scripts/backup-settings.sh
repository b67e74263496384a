#!/usr/bin/env bash
# Shared by the backup scripts (sourced, not run): load one service's backup settings.
#
# load_backup_settings SERVICE reads ${BACKUP_ENV:-/srv/app/backup/SERVICE.env}, a root-only
# KEY=VALUE file (see backup-postgres.sh for the keys), refuses it when others can read it,
# and exports its values; the repository and its credentials must be there.

load_backup_settings() {
  local service=$1
  local env_file=${BACKUP_ENV:-/srv/app/backup/$service.env}
  [ -f "$env_file" ] || { echo "backup settings $env_file not found" >&2; exit 1; }
  if [ -n "$(find "$env_file" -maxdepth 0 -perm /077)" ]; then
    echo "backup settings $env_file are readable by others than its owner; chmod 0600 it" >&2
    exit 1
  fi
  set -a
  # shellcheck source=/dev/null
  . "$env_file"
  set +a
  : "${RESTIC_REPOSITORY:?is not set in the backup settings}"
  # They reach pg_dump and pg_restore as a user and a database name: plain names only (a `=`
  # would make a connection string of the database, a leading `-` an option).
  case "${PGUSER:-x}/${PGDATABASE:-x}" in
    *[!A-Za-z0-9_/]* | */*/*)
      echo "backup settings: PGUSER and PGDATABASE must be plain names (letters, digits, _)" >&2
      exit 1
      ;;
  esac
}
