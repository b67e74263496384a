#!/usr/bin/env bash
# Run the release's one-shot jobs (jobs.txt: one compose service per line), in order, each
# to completion, before release.sh starts any service.
#
#   run-jobs.sh
#
# Run from the new release directory (the one holding compose.yaml), as root, by release.sh
# before it swaps releases. A job's environment (env/<job>.env) may hold a database admin's
# credentials: it is emptied as soon as the job has run, successful or not, so they do not
# stay on the host. A job's standard output is never printed (a job could echo its
# environment); when one fails, the last lines of its standard error (psql's message, which
# names the user and host but not the password) are, and run-jobs.sh exits 1.
set -euo pipefail

COMPOSE_PROJECT=${COMPOSE_PROJECT:-multicloud}
[ -f jobs.txt ] || { echo "run-jobs: no jobs.txt in $(pwd)" >&2; exit 2; }

while read -r job; do
  [ -n "$job" ] || continue
  [[ "$job" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || { echo "run-jobs: invalid job name" >&2; exit 2; }
  status=0
  errors=$(mktemp)
  docker compose -p "$COMPOSE_PROJECT" -f compose.yaml --profile jobs run --rm --no-deps "$job" \
    </dev/null >/dev/null 2>"$errors" || status=$?
  if [ -f "env/$job.env" ]; then
    : >"env/$job.env"
  fi
  if [ "$status" -ne 0 ]; then
    echo "run-jobs: job $job failed (exit $status); its last messages:" >&2
    tail -n 5 "$errors" | sed 's/^/  /' >&2
    rm -f "$errors"
    exit 1
  fi
  rm -f "$errors"
done <jobs.txt
