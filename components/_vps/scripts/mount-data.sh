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
  # Already mounted: grow the filesystem if the volume was resized (online for ext4).
  resize2fs "$(findmnt -n -o SOURCE "$data_dir")" >/dev/null 2>&1 || true
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

# blkid -p exits 2 when the device holds no filesystem at all; any other failure
# (ambiguous signatures, read errors) must never lead to mkfs.
set +e
blkid -p "$device" >/dev/null 2>&1
probe=$?
set -e
if [ "$probe" -eq 2 ]; then
  mkfs.ext4 -q -L multicloud-data "$device"
elif [ "$probe" -ne 0 ]; then
  echo "cannot tell what is on $device (blkid exit $probe); refusing to touch it" >&2
  exit 1
fi

uuid=$(blkid -s UUID -o value "$device")
mkdir -p "$data_dir"
if ! grep -q "UUID=$uuid" /etc/fstab; then
  # Docker must not start containers against an empty mount point after a reboot.
  echo "UUID=$uuid $data_dir ext4 defaults,nofail,discard,x-systemd.before=docker.service 0 2" >> /etc/fstab
fi
mount "$data_dir"
resize2fs "$device" >/dev/null 2>&1 || true
chmod 0755 "$data_dir"
