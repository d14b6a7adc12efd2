"""DatabaseBackup: nightly dumps of the metadata database onto a volume of their own, and the Job template that
restores one.

Owns the backup volume (a PersistentVolumeClaim that `pulumi destroy` keeps when the data volume is kept), a Secret
with the database's connection as libpq files (a service file and a password file, so no password is ever in a pod's
argv or environment), the `airflow-database-backup` CronJob and the suspended `airflow-database-restore` CronJob, which
runs only when an operator creates a Job from it (docs/data.md, "Restoring one").

Each backup is `pg_dump --format=custom` (one consistent snapshot, compressed, restorable table by table), written
under a temporary name, read back whole by `pg_restore`, and only then renamed into place and counted: the newest
`databaseBackupKeep` dumps stay, older ones go. Both pods run the database's own image (its pg_dump matches the
in-cluster server's version) as its uid 999, restricted. It reads the database URL, not which database it is: the
in-cluster PostgreSQL and an external one are backed up alike. Copies to object storage are not done here yet: the
volume lives in the cluster, so a lost cluster loses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.database_url import parse_database_url
from components.postgres import POSTGRES_UID
from components.settings import DatabaseBackupSettings

COMPONENT = "database-backup"
BACKUP_NAME = "airflow-database-backup"
RESTORE_NAME = "airflow-database-restore"
CLAIM_NAME = "airflow-database-backups"
BACKUP_DIR = "/backups"
CREDENTIALS_DIR = "/etc/airflow-database"
SERVICE = "airflow"
# A restore replaces the database's contents: no schedule may ever start one. Suspended, and 31 February besides.
NEVER = "0 0 31 2 *"
# Long enough for a dump of a metadata database of many gigabytes on slow disks; a hung dump ends and fails visibly.
DEADLINE_SECONDS = 6 * 3600
JOB_SKIPS = (kube.IMAGE_BY_TAG, kube.PULL_POLICY_SETTING, kube.IMAGE_USER)

PREAMBLE = r"""set -euo pipefail
shopt -s nullglob
export LC_ALL=C
umask 077
# libpq ignores a password file that its group may read, and a Secret volume with an fsGroup is group-readable.
install -m 0600 "$PGPASS_SOURCE" "$PGPASSFILE"
# One backup or restore at a time on the volume: concurrencyPolicy covers only the Jobs the CronJob itself starts, not
# one made by hand with `kubectl create job --from=cronjob/...`.
exec 9>"$BACKUP_DIR/.lock"
if ! flock --nonblock 9; then
  echo "$JOB_NAME: another backup or restore is using $BACKUP_DIR; try again when it has finished" >&2
  exit 1
fi
"""

# A dump counts only once pg_restore has read all of it (every data block, not only its table of contents): an
# interrupted or corrupt dump never replaces a good one. Dumps are named by their UTC start time, so the shell's sorted
# glob lists them oldest first.
BACKUP_SCRIPT = (
    PREAMBLE
    + r"""stamp=$(date -u +%Y%m%dT%H%M%SZ)
partial="$BACKUP_DIR/.airflow-$stamp.dump.partial"
# Under the lock, a partial file left here is from a run that was killed.
rm -f "$BACKUP_DIR"/.airflow-*.dump.partial
trap 'rm -f "$partial"' EXIT
pg_dump --dbname="service=$PGSERVICE_NAME" --format=custom --no-password --lock-wait-timeout=300s --file="$partial"
pg_restore --file=/dev/null "$partial"
mv "$partial" "$BACKUP_DIR/airflow-$stamp.dump"
echo "database-backup: wrote airflow-$stamp.dump ($(du -h "$BACKUP_DIR/airflow-$stamp.dump" | cut -f1))"
dumps=("$BACKUP_DIR"/airflow-*.dump)
for ((i = 0; i < ${#dumps[@]} - KEEP; i++)); do
  rm -f -- "${dumps[i]}"
  echo "database-backup: deleted ${dumps[i]##*/} (keeping the newest $KEEP)"
done
echo "database-backup: $(df -P -h "$BACKUP_DIR" | awk 'NR == 2 {print $3 " used, " $4 " free"}') on the volume"
"""
)

# Restores the newest dump, or $BACKUP. The database's public schema is dropped and rebuilt from the dump in one
# transaction that the stream itself opens and commits: if pg_restore fails midway, COMMIT is never sent and the
# server rolls everything back when psql's input ends (psql's --single-transaction would commit what it had read).
# Dropping the schema rather than `pg_restore --clean` leaves no table of a later schema version beside the restored
# ones, which would break the next migration.
RESTORE_SCRIPT = (
    PREAMBLE
    + r"""dumps=("$BACKUP_DIR"/airflow-*.dump)
echo "database-restore: dumps on the volume, oldest first:"
for dump in "${dumps[@]}"; do echo "  ${dump##*/}"; done
if [ -n "${BACKUP:-}" ]; then
  dump="$BACKUP_DIR/${BACKUP##*/}"
elif [ ${#dumps[@]} -gt 0 ]; then
  dump=${dumps[-1]}
else
  echo "database-restore: no dump in $BACKUP_DIR" >&2
  exit 1
fi
if [ ! -f "$dump" ]; then
  echo "database-restore: no dump ${dump##*/} in $BACKUP_DIR" >&2
  exit 1
fi
if ! pg_restore --file=/dev/null "$dump"; then
  echo "database-restore: ${dump##*/} is not a complete dump; the database is unchanged" >&2
  exit 1
fi
echo "database-restore: replacing the database's public schema with ${dump##*/}"
{
  echo 'BEGIN; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;'
  pg_restore --no-owner --no-privileges --file=- "$dump"
  echo 'COMMIT;'
} | psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --dbname="service=$PGSERVICE_NAME" >/dev/null
echo "database-restore: restored ${dump##*/}"
"""
)


@dataclass(frozen=True)
class DatabaseBackupArgs:
    """Inputs of the backups."""

    namespace: pulumi.Input[str]
    """Namespace of the CronJobs, their Secret and the volume."""
    database_url: pulumi.Output[str]
    """SQLAlchemy URL of the metadata database (secret), in-cluster or external."""
    settings: DatabaseBackupSettings
    """Schedule, how many to keep, the volume, resources."""
    image: str
    """A PostgreSQL image whose pg_dump is at least the server's version (the in-cluster database's own image)."""
    image_pull_policy: str
    """Pull policy of the containers."""
    retain_on_destroy: bool
    """Keep the volume on `pulumi destroy` (as the data volume is kept)."""


def libpq_files(database_url: str) -> dict[str, str]:
    """The database's connection as a libpq service file and a password file (PostgreSQL's own formats)."""
    database = parse_database_url(database_url)
    parameters = {
        "host": database.host,
        "port": str(database.port),
        "dbname": database.dbname,
        "user": database.user,
        **database.libpq_options,
    }
    service = f"[{SERVICE}]\n" + "".join(f"{key}={value}\n" for key, value in parameters.items())
    # '*' matches any host, port and database: the service file says which.
    login = f"{pgpass_field(database.user)}:{pgpass_field(database.password)}"
    return {"pg_service.conf": service, "pgpass": f"*:*:*:{login}\n"}


def pgpass_field(text: str) -> str:
    """In a password file ':' separates fields and '\\' escapes."""
    return text.replace("\\", "\\\\").replace(":", "\\:")


def describe_backups(settings: DatabaseBackupSettings, retain_on_destroy: bool) -> str:
    """One line a stack output shows: where the dumps are and which are kept."""
    storage_class = settings.storage_class or "the cluster's default StorageClass"
    fate = "kept" if retain_on_destroy else "deleted"
    return (
        f"PersistentVolumeClaim {CLAIM_NAME} ({settings.storage_size} on {storage_class}, {fate} on destroy): "
        f"the newest {settings.keep} dumps, taken at '{settings.schedule}' UTC"
    )


class DatabaseBackup(pulumi.ComponentResource):
    """Scheduled, verified dumps of the metadata database, and the means to restore one."""

    description: str
    """Where the backups are and which are kept (for a stack output)."""
    component: str
    """The component label of the backup and restore pods (for the NetworkPolicies)."""

    def __init__(self, name: str, args: DatabaseBackupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:DatabaseBackup", name, None, opts)
        self._name = name
        self._args = args
        settings = args.settings

        files = args.database_url.apply(libpq_files)
        credentials = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=kube.object_meta(BACKUP_NAME, args.namespace, COMPONENT),
            type="Opaque",
            string_data={key: pulumi.Output.secret(files[key]) for key in ("pg_service.conf", "pgpass")},
            opts=pulumi.ResourceOptions(parent=self),
        )
        claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-volume",
            metadata=kube.object_meta(
                CLAIM_NAME,
                args.namespace,
                COMPONENT,
                # Bound only once a backup pod is scheduled with a WaitForFirstConsumer class: up to a day later.
                annotations=kube.SKIP_AWAIT,
            ),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=["ReadWriteOnce"],
                storage_class_name=settings.storage_class or None,
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": settings.storage_size}),
            ),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_on_destroy),
        )
        self._service_account = kube.service_account(f"{name}-sa", BACKUP_NAME, args.namespace, COMPONENT, self)
        self._credentials_name = credentials.metadata.name
        self._claim_name = claim.metadata.name

        self._cron_job(
            "backup",
            BACKUP_NAME,
            BACKUP_SCRIPT,
            schedule=settings.schedule,
            suspend=False,
            backoff_limit=1,
            extra_env=[k8s.core.v1.EnvVarArgs(name="KEEP", value=str(settings.keep))],
        )
        self._cron_job("restore", RESTORE_NAME, RESTORE_SCRIPT, schedule=NEVER, suspend=True, backoff_limit=0)

        self.description = describe_backups(settings, args.retain_on_destroy)
        self.component = COMPONENT
        self.register_outputs({"description": self.description})

    def _cron_job(
        self,
        suffix: str,
        object_name: str,
        script: str,
        *,
        schedule: str,
        suspend: bool,
        backoff_limit: int,
        extra_env: list[k8s.core.v1.EnvVarArgs] | None = None,
    ) -> k8s.batch.v1.CronJob:
        args = self._args
        tmp_volume = k8s.core.v1.VolumeArgs(
            name="tmp",
            # In memory: the password file is copied here.
            empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(medium="Memory", size_limit="16Mi"),
        )
        env = {
            "JOB_NAME": object_name,
            "BACKUP_DIR": BACKUP_DIR,
            "PGSERVICEFILE": f"{CREDENTIALS_DIR}/pg_service.conf",
            "PGSERVICE_NAME": SERVICE,
            "PGPASS_SOURCE": f"{CREDENTIALS_DIR}/pgpass",
            "PGPASSFILE": "/tmp/pgpass",
        }
        container = k8s.core.v1.ContainerArgs(
            name=suffix,
            image=args.image,
            image_pull_policy=args.image_pull_policy,
            # Bypasses the image's entrypoint, which would initialise a database server.
            command=["bash", "-c", script],
            env=[k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in env.items()] + (extra_env or []),
            security_context=kube.container_security(),
            resources=kube.resource_requirements(args.settings.resources),
            volume_mounts=[
                k8s.core.v1.VolumeMountArgs(name="backups", mount_path=BACKUP_DIR),
                k8s.core.v1.VolumeMountArgs(name="credentials", mount_path=CREDENTIALS_DIR, read_only=True),
                k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
            ],
        )
        pod = k8s.core.v1.PodSpecArgs(
            service_account_name=self._service_account.metadata.name,
            automount_service_account_token=False,
            enable_service_links=False,
            restart_policy="Never",
            # fsGroup makes the volume writable by the postgres user, whatever the provisioner's default owner.
            security_context=kube.pod_security(POSTGRES_UID, POSTGRES_UID, fs_group=POSTGRES_UID),
            containers=[container],
            volumes=[
                k8s.core.v1.VolumeArgs(
                    name="backups",
                    persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(claim_name=self._claim_name),
                ),
                kube.secret_volume("credentials", self._credentials_name),
                tmp_volume,
            ],
        )
        return k8s.batch.v1.CronJob(
            f"{self._name}-{suffix}",
            metadata=kube.object_meta(object_name, args.namespace, COMPONENT, annotations=kube.checkov_skips(*JOB_SKIPS)),
            spec=kube.cron_job_spec(
                schedule,
                k8s.batch.v1.JobSpecArgs(
                    backoff_limit=backoff_limit,
                    active_deadline_seconds=DEADLINE_SECONDS,
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(labels=kube.labels(COMPONENT)), spec=pod
                    ),
                ),
                suspend=suspend,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
