#!/usr/bin/env bash
# Run one scheduled job (a compose service of the `scheduled` profile) to completion, from its
# systemd service (multicloud-job-<job>.service, started by its timer).
#
#   run-job.sh <job>
#
# Runs never overlap: a run that finds the previous one still going is skipped (exit 0, a
# line in the journal), and the container has a fixed name. A run waits for the project's
# containers that are still starting (a database after a reboot). When systemd stops the run (the
# job's timeout, or `systemctl stop`), the container is stopped too, not left running. The
# job's output goes to the journal: `journalctl -u multicloud-job-<job>`.
set -euo pipefail

job=${1:-}
[[ "$job" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || { echo "run-job: invalid job name" >&2; exit 2; }
APP_DIR=${APP_DIR:-/srv/app}
COMPOSE_PROJECT=${COMPOSE_PROJECT:-multicloud}
LOCK_DIR=${LOCK_DIR:-/run/lock}
cd "$APP_DIR"
if [ -f "$APP_DIR/docker/config.json" ]; then
  export DOCKER_CONFIG="$APP_DIR/docker"
fi

# Underscores: compose v2 names its containers <project>-<service>-<n>, never like this, so
# removing a stale one below can never hit a service's container.
container="${COMPOSE_PROJECT}_job_$job"
exec 9>"$LOCK_DIR/$container.lock"
if ! flock --nonblock 9; then
  echo "run-job: $job is still running from its previous start; this run is skipped" >&2
  exit 0
fi
docker rm -f "$container" >/dev/null 2>&1 || true

# The run a timer catches up at boot may come before the stack's databases answer: wait (at
# most HEALTH_WAIT seconds) while any of the project's containers is still starting.
deadline=$((SECONDS + ${HEALTH_WAIT:-300}))
while [ -n "$(docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" \
  --filter health=starting)" ] && [ "$SECONDS" -lt "$deadline" ]; do
  sleep "${HEALTH_POLL:-5}"
done

# shellcheck disable=SC2317  # called by the trap
stop_container() {
  docker stop --time 30 "$container" >/dev/null 2>&1 || true
}
trap stop_container TERM INT
docker compose -p "$COMPOSE_PROJECT" -f compose.yaml --profile scheduled \
  run --rm --no-deps --name "$container" "$job" </dev/null &
status=0
wait $! || status=$?
exit "$status"
