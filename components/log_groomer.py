"""The log groomer: a sidecar that deletes old files from a pod's Airflow logs volume, so the volume never fills.

Used by WorkerLogs beside each Celery worker (the logs volume per worker) and by AirflowCore beside the processes that
keep their own logs on an emptyDir (scheduler, dag-processor, triggerer), where a full volume would get the pod evicted.
It runs the Airflow image's bash and find, so it needs no image of its own.
"""

from __future__ import annotations

import pulumi_kubernetes as k8s

from components import kube
from components.settings import Resources

GROOMER_NAME = "log-groomer"
GROOM_EVERY_SECONDS = 900
# A folder younger than this may have just been created for a task that is about to open its log file in it.
EMPTY_DIR_GRACE_MINUTES = 60

# Runs as the Airflow user on a read-only root filesystem; only the logs volume is writable. Deletion is by age: one `find`
# pass every GROOM_EVERY_SECONDS at the lowest CPU priority. lost+found (ext4 volumes) is left alone. `sleep & wait`
# lets the TERM trap fire at once, so the sidecar never holds up a worker pod's shutdown; the trap kills every
# background job (not a remembered pid, which a signal between `sleep &` and `$!` would miss).
GROOMER_SCRIPT = r"""set -u
trap 'kill $(jobs -p) 2>/dev/null; exit 0' TERM INT
minutes=$((RETENTION_DAYS * 1440))
echo "log-groomer: deleting files under $LOGS older than $RETENTION_DAYS days every $GROOM_EVERY_SECONDS s"
while true; do
  removed=$(nice -n 19 find "$LOGS" -mindepth 1 \
      ! -path "$LOGS/lost+found" ! -path "$LOGS/lost+found/*" \
      -type f -mmin "+$minutes" -delete -printf x | wc -c)
  nice -n 19 find "$LOGS" -mindepth 1 \
      ! -path "$LOGS/lost+found" ! -path "$LOGS/lost+found/*" \
      -type d -empty -mmin "+$EMPTY_DIR_GRACE_MINUTES" -delete
  echo "log-groomer: removed $removed files; $(df -P -h "$LOGS" | awk 'NR == 2 {print $3 " used, " $4 " free"}')"
  sleep "$GROOM_EVERY_SECONDS" &
  wait $!
done
"""



def log_groomer(
    image: str,
    image_pull_policy: str,
    resources: Resources,
    retention_days: int,
    mount: k8s.core.v1.VolumeMountArgs,
    run_as: tuple[int, int],
) -> k8s.core.v1.ContainerArgs:
    """The sidecar that keeps `mount` free of files older than `retention_days`, as uid/gid `run_as`."""
    return k8s.core.v1.ContainerArgs(
        name=GROOMER_NAME,
        image=image,
        image_pull_policy=image_pull_policy,
        # Bypasses the image's entrypoint, which would prepare Airflow (and wait for its database) first.
        command=["bash", "-c", GROOMER_SCRIPT],
        env=[
            k8s.core.v1.EnvVarArgs(name="LOGS", value=mount.mount_path),
            k8s.core.v1.EnvVarArgs(name="RETENTION_DAYS", value=str(retention_days)),
            k8s.core.v1.EnvVarArgs(name="GROOM_EVERY_SECONDS", value=str(GROOM_EVERY_SECONDS)),
            k8s.core.v1.EnvVarArgs(name="EMPTY_DIR_GRACE_MINUTES", value=str(EMPTY_DIR_GRACE_MINUTES)),
        ],
        security_context=kube.container_security(*run_as),
        resources=kube.resource_requirements(resources),
        volume_mounts=[mount],
    )
