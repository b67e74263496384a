#!/usr/bin/env bash
# Run a backup job and report the run to its heartbeat (a Healthchecks.io check): the ping URL
# after success, `URL/<exit status>` with the end of the output after a failure — also when
# systemd stops the job (SIGTERM) — so a failure alerts at once with its cause and a job that
# stops running alerts by its silence. No `/start` ping: Healthchecks.io would then count the
# run's duration against the grace, and a long dump waiting for the lock would look dead.
#
# Usage: heartbeat.sh KEY COMMAND [ARG...]
# The ping URL is KEY's value in ${BACKUP_ENV} (the service's root-only backup settings,
# written by the release). Without a value the command runs unreported (no alerts set). The
# URL is a credential of sorts — anyone holding it can report runs — so it never appears on
# a command line: curl reads it from its config on stdin. A value that is not a plain http(s)
# URL is refused and the job does not run, which the heartbeat reports by silence.
# The command's output still reaches the journal; its exit status is this script's.
set -uo pipefail
umask 077

key=${1:?usage: heartbeat.sh KEY COMMAND [ARG...]}
shift
[ "$#" -gt 0 ] || { echo "usage: heartbeat.sh KEY COMMAND [ARG...]" >&2; exit 2; }
case "$key" in
  '' | *[!A-Z0-9_]*) echo "heartbeat.sh: KEY must be a variable name" >&2; exit 2 ;;
esac
tail_lines=${HEARTBEAT_TAIL_LINES:-60}
tail_bytes=${HEARTBEAT_TAIL_BYTES:-10000}

url=""
if [ -n "${BACKUP_ENV:-}" ] && [ -f "$BACKUP_ENV" ]; then
  # backup_env() writes KEY='value'; a ping URL holds no quote.
  url=$(sed -n "s/^${key}='\\(.*\\)'\$/\\1/p" "$BACKUP_ENV" | tail -n 1)
fi
if [ -z "$url" ]; then
  exec "$@"
fi
case "$url" in
  https://* | http://*) ;;
  *) echo "heartbeat.sh: $key is not an http(s) URL; not running $1" >&2; exit 2 ;;
esac
case "${url#*://}" in
  *[!A-Za-z0-9._~:/-]*) echo "heartbeat.sh: $key holds characters a ping URL never has; not running $1" >&2; exit 2 ;;
esac

# ping SUFFIX [CURL_ARGS...]: one report, retried; a report that cannot be delivered is said
# in the journal and changes nothing else (the heartbeat's silence covers it).
ping() {
  local suffix=$1
  shift
  printf 'url = "%s%s"\n' "$url" "$suffix" \
    | curl --config - --fail --silent --show-error --max-time 10 --retry 3 --output /dev/null "$@" \
    || echo "heartbeat.sh: could not report ${suffix:-success} to the heartbeat" >&2
}

log=$(mktemp "${TMPDIR:-/tmp}/heartbeat.XXXXXX")
trap 'rm -f "$log" "$log.body"' EXIT
# systemd stops a unit by sending SIGTERM to every process of it: the job ends, and bash runs
# this trap once the pipeline has; the report below then says why.
stopped=""
trap 'stopped=TERM' TERM
trap 'stopped=INT' INT

# tee ignores the stop (an ignored signal stays ignored across exec) and keeps the job's last
# lines until the job's end closes the pipe.
"$@" 2>&1 | {
  trap '' TERM INT
  tee "$log"
}
status=${PIPESTATUS[0]}
if [ -n "$stopped" ] && [ "$status" -eq 0 ]; then
  status=143
fi

if [ "$status" -eq 0 ]; then
  ping ""
else
  {
    if [ -n "$stopped" ]; then
      printf '%s was stopped (SIG%s) on %s; its last lines:\n' "$1" "$stopped" "$(hostname)"
    else
      printf '%s exited with status %s on %s; its last lines:\n' "$1" "$status" "$(hostname)"
    fi
    tail -n "$tail_lines" "$log" | tail -c "$tail_bytes"
  } >"$log.body"
  ping "/$status" --data-binary "@$log.body"
  rm -f "$log.body"
fi
exit "$status"
