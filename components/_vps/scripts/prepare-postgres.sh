#!/usr/bin/env bash
# Prepare a Postgres service's TLS key pair on the data volume, once.
#
# Usage: prepare-postgres.sh SERVICE MAJOR HOSTNAME...
# The certificate is self-signed: clients use sslmode=require (encrypted; the peer is a
# container on this host or on the stack's private network). The key is owned by the
# image's postgres user (uid 999) and readable by it alone, as Postgres insists.
set -euo pipefail

service=${1:?usage: prepare-postgres.sh SERVICE MAJOR HOSTNAME...}
major=${2:?usage: prepare-postgres.sh SERVICE MAJOR HOSTNAME...}
shift 2
data_dir=${DATA_DIR:-/srv/data}
tls_dir="$data_dir/$service/tls"
uid=${POSTGRES_UID:-999}

# A new major version cannot open the old data directory; refuse before anything restarts.
version_file="$data_dir/$service/pgdata/PG_VERSION"
if [ -f "$version_file" ] && [ "$(cat "$version_file")" != "$major" ]; then
  echo "$service holds PostgreSQL $(cat "$version_file") data; the release asks for $major." >&2
  echo "Upgrade with pg_dump/pg_restore (README: Postgres major upgrades) before changing version." >&2
  exit 1
fi

install -d -o "$uid" -g "$uid" -m 0700 "$tls_dir"
if [ ! -s "$tls_dir/server.key" ] || [ ! -s "$tls_dir/server.crt" ]; then
  san="DNS:$service"
  for name in "$@"; do
    case "$name" in
      *[!0-9.]*) san="$san,DNS:$name" ;;
      *) san="$san,IP:$name" ;;
    esac
  done
  openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=$service" \
    -addext "subjectAltName=$san" \
    -keyout "$tls_dir/server.key" -out "$tls_dir/server.crt" 2>/dev/null
fi
chown "$uid:$uid" "$tls_dir/server.key" "$tls_dir/server.crt"
chmod 0600 "$tls_dir/server.key"
chmod 0644 "$tls_dir/server.crt"
