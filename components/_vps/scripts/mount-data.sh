#!/usr/bin/env bash
# Mount the host's data volume at $DATA_DIR (default /srv/data), idempotently.
#
# Usage: mount-data.sh DEVICE
# DEVICE is the volume's stable path (for example /dev/disk/by-id/scsi-0HC_Volume_123).
# The volume may be attached a little after first boot, so wait for it; format it only
# when it holds no filesystem at all, so an existing volume is never wiped.
set -euo pipefail

device=${1:?usage: mount-data.sh DEVICE}
data_dir=${DATA_DIR:-/srv/data}
wait_seconds=${WAIT_SECONDS:-180}

if mountpoint -q "$data_dir"; then
  exit 0
fi

waited=0
until [ -b "$device" ]; do
  if [ "$waited" -ge "$wait_seconds" ]; then
    echo "data volume $device did not appear within ${wait_seconds}s" >&2
    exit 1
  fi
  sleep 2
  waited=$((waited + 2))
done

if ! blkid -p "$device" >/dev/null 2>&1; then
  mkfs.ext4 -q -L multicloud-data "$device"
fi

uuid=$(blkid -s UUID -o value "$device")
mkdir -p "$data_dir"
if ! grep -q "UUID=$uuid" /etc/fstab; then
  echo "UUID=$uuid $data_dir ext4 defaults,nofail,discard 0 2" >> /etc/fstab
fi
mount "$data_dir"
chmod 0755 "$data_dir"
