"""AirflowCore: the Airflow 3 processes (CeleryExecutor) as native Kubernetes objects.

Owns the `airflow-secrets` Secret, one ServiceAccount per process, the `airflow db migrate` Job (which also creates the
admin user), the api-server (Deployment and the `airflow-webserver` Service), scheduler, dag-processor and triggerer
Deployments, and the Celery worker StatefulSet. It does not own where DAGs come from (`DagsSource`, from GitSync) or
where worker logs are kept (`WorkerStorage`, from WorkerLogs), nor the database, the broker or the edge: it takes their
outputs.

Every Airflow container runs as uid 50000 with gid 0 (what the official image expects) on a read-only root filesystem;
what Airflow writes goes to emptyDirs (runtime config, logs, /tmp). Every long-running container first waits in an init
container until the migration Job has brought the schema up to date, so no Pulumi ordering is needed between the Job and
the workloads: they start together and the slow part (image pulls) overlaps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.airflow_overrides import WEBSERVER_CONFIG_KEY, AirflowEnvironment
from components.log_groomer import log_groomer
from components.settings import TASK_RUNNERS, ProcessSettings, Resources, Settings

AIRFLOW_UID = 50000
# The official image is built to run with gid 0: its files are group-owned by root and group-writable.
AIRFLOW_GID = 0
AIRFLOW_HOME = "/opt/airflow"
LOGS_PATH = f"{AIRFLOW_HOME}/logs"
# The scheduler, dag-processor and triggerer keep their own logs (the dag-processor one file per DAG file and parse)
# on an emptyDir: diagnostics, not task logs. A day of them fits this size; past it the kubelet would evict the pod.
LOCAL_LOGS_SIZE = "1Gi"
LOCAL_LOGS_RETENTION_DAYS = 1
# Where Airflow writes its generated airflow.cfg and FAB's webserver_config.py. Not $AIRFLOW_HOME/config: Airflow puts
# that on sys.path and custom images ship airflow_local_settings.py or a logging config there, which an emptyDir
# mounted over it would hide.
RUNTIME_DIR = f"{AIRFLOW_HOME}/runtime"
API_PORT = 8080
# The seed article's Service and port names, so Ingresses and bookmarks written for it keep working.
API_SERVICE_NAME = "airflow-webserver"
API_PORT_NAME = "airflow-ui"
SECRET_NAME = "airflow-secrets"
HEALTH_PATH = "/api/v2/monitor/health"
# FAB is the auth manager meant for production (users and roles in the metadata database); Airflow 3's default
# SimpleAuthManager is for development only and keeps passwords in a file.
AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"
# Long enough for a first migration of an empty database; on a timeout the init container fails and is retried.
MIGRATION_WAIT_SECONDS = 300
# The log server of each worker, from which the api-server reads the logs of running tasks.
WORKER_LOG_PORT = 8793
# The triggerer's log server, from which the api-server reads the trigger logs of deferred tasks.
TRIGGERER_LOG_PORT = 8794
# The api-server fetches a deferred task's trigger log from http://<triggerer job hostname>:8794. A Deployment pod's
# default hostname (its bare pod name) resolves nowhere, so the triggerer records its pod IP: that log sits in the pod's
# emptyDir and is only read while the trigger runs, i.e. while that IP is the pod's. (Workers, whose logs outlive the
# pod, record a stable DNS name instead: see WorkerLogs.)
TRIGGERER_HOSTNAME_CALLABLE = "airflow.utils.net.get_host_ip_address"
# Cluster autoscalers keep a node whose pods use local storage (the workers' emptyDirs) unless told the pod may go.
SAFE_TO_EVICT_ANNOTATION = "cluster-autoscaler.kubernetes.io/safe-to-evict"
# Pods read the Secret through secretKeyRef, so a changed Secret alone changes no pod template and restarts nothing.
# This annotation carries a keyed digest of the Secret's data: a change of any value rolls every Airflow workload.
SECRETS_DIGEST_ANNOTATION = "airflow.pulumi.io/secrets-digest"
# The same for the team's own secret options, connections and variables (AirflowOverrides).
OVERRIDES_DIGEST_ANNOTATION = "airflow.pulumi.io/overrides-digest"
MIGRATION_JOB_PREFIX = "airflow-db-migrate-"
WORKER_COMPONENT = "worker"


@dataclass(frozen=True)
class DagsSource:
    """Where the DAG files are, and what a pod needs to see them."""

    folder: pulumi.Input[str]
    """Value of AIRFLOW__CORE__DAGS_FOLDER."""
    addons: kube.PodAddons = field(default_factory=kube.PodAddons)
    """Volumes, mounts and containers for the pods that parse or run DAGs (dag-processor, triggerer, workers)."""
    dag_processor_env: Mapping[str, str] = field(default_factory=dict)
    """Airflow settings of the dag-processor that suit where the DAGs come from (how often it lists the folder)."""


# DAGs baked into the image, at the image's own DAGs folder: the source when no git repository is configured.
IMAGE_DAGS = DagsSource(folder=f"{AIRFLOW_HOME}/dags")


@dataclass(frozen=True)
class WorkerStorage:
    """What the worker StatefulSet needs for its logs, from WorkerLogs."""

    service_name: pulumi.Input[str]
    """Headless Service that gives each worker a resolvable name (the StatefulSet's serviceName)."""
    addons: kube.PodAddons
    """The logs volume or mount, the groomer sidecar, the hostname setting."""
    volume_claim_templates: list[k8s.core.v1.PersistentVolumeClaimArgs] = field(default_factory=list)
    """One claim per worker replica; empty when logs are not persisted."""
    retention_policy: k8s.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicyArgs | None = None
    """What happens to the claims on scale-down and on deletion."""
    pod_annotations: dict[str, str] = field(default_factory=dict)
    """Annotations of the worker pod template (e.g. a documented Pod Security exception)."""


@dataclass(frozen=True)
class AirflowSecretValues:
    """The generated secrets Airflow reads (secret Outputs)."""

    fernet_key: pulumi.Output[str]
    api_secret_key: pulumi.Output[str]
    jwt_secret: pulumi.Output[str]
    admin_password: pulumi.Output[str]


@dataclass(frozen=True)
class AirflowCoreArgs:
    """Inputs of the Airflow processes."""

    namespace: pulumi.Input[str]
    """Namespace of every object."""
    settings: Settings
    """Image, replicas, resources, admin account."""
    secrets: AirflowSecretValues
    """Fernet key, API secret key, JWT secret, admin password."""
    database_url: pulumi.Output[str]
    """SQLAlchemy URL of the metadata database (secret)."""
    broker_url: pulumi.Output[str]
    """Celery broker URL (secret)."""
    base_url: pulumi.Input[str]
    """External URL of the UI ([api] base_url); only the api-server waits for it."""
    dags: DagsSource
    """Where DAGs come from."""
    worker_storage: WorkerStorage
    """Where worker logs go."""
    overrides: AirflowEnvironment = field(default_factory=AirflowEnvironment)
    """The team's own Airflow options, connections, variables and environment sources (AirflowOverrides)."""


@dataclass(frozen=True)
class Process:
    """One Airflow process: how it is started and checked."""

    component: str
    args: list[str]
    settings: ProcessSettings
    parses_dags: bool
    grooms_logs: bool = False
    """Whether it writes log files steadily (a log groomer then keeps its logs emptyDir from filling)."""
    liveness: k8s.core.v1.ProbeArgs | None = None
    readiness: k8s.core.v1.ProbeArgs | None = None
    startup: k8s.core.v1.ProbeArgs | None = None
    ports: list[k8s.core.v1.ContainerPortArgs] = field(default_factory=list)
    env: list[k8s.core.v1.EnvVarArgs] = field(default_factory=list)


def webserver_config_addons(secret_name: pulumi.Input[str]) -> kube.PodAddons:
    """The file where AIRFLOW__FAB__CONFIG_FILE points every process, over the api-server's runtime volume: FAB finds
    it there and writes no default of its own. Read-only; a change rolls the pod by the digest."""
    return kube.PodAddons(
        volumes=[
            kube.secret_volume("webserver-config", secret_name)
        ],
        mounts=[
            k8s.core.v1.VolumeMountArgs(
                name="webserver-config",
                mount_path=f"{RUNTIME_DIR}/{WEBSERVER_CONFIG_KEY}",
                sub_path=WEBSERVER_CONFIG_KEY,
                read_only=True,
            )
        ],
    )


def job_check_probe(job_type: str) -> k8s.core.v1.ProbeArgs:
    """Liveness of a process that heartbeats in the database: the check fails when this pod's job stops beating."""
    return kube.exec_probe(
        ["airflow", "jobs", "check", "--job-type", job_type, "--local"], period=60, timeout=30, failures=5, initial_delay=30
    )


def migration_job_name(image: str, digest: str) -> str:
    """A new image means new migrations, a new database URL an unmigrated database: either gives the Job a new name,
    which makes Pulumi run it again (Jobs are immutable). 19 + 8 + 1 + 12 characters, within a DNS label's 63."""
    return f"{MIGRATION_JOB_PREFIX}{hashlib.sha256(image.encode()).hexdigest()[:8]}-{digest[:12]}"


class AirflowCore(pulumi.ComponentResource):
    """The Airflow 3 control plane and Celery workers."""

    api_service_name: pulumi.Output[str]
    """Name of the api-server Service (the UI, the REST API and the execution API)."""
    api_service_port: int
    """Port of that Service."""
    worker_statefulset_name: pulumi.Output[str]
    """Name of the Celery worker StatefulSet (KEDA's target)."""
    api_server_deployment_name: pulumi.Output[str]
    """Name of the api-server Deployment (the HPA's target)."""
    components: list[str]
    """The component label of each Airflow workload's pods (for the disruption budgets)."""
    process_env: list[k8s.core.v1.EnvVarArgs]
    """The environment every Airflow process gets (database and broker by secretKeyRef, settings), for a component
    that runs the `airflow` CLI beside them (MetadataCleanup)."""
    process_env_from: list[k8s.core.v1.EnvFromSourceArgs]
    """The existing Secrets and ConfigMaps every Airflow process reads its environment from, likewise."""

    def __init__(self, name: str, args: AirflowCoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("airflow:index:AirflowCore", name, None, opts)
        self._name = name
        self._args = args
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        secret_data: dict[str, pulumi.Input[str]] = {
            "sql-alchemy-conn": args.database_url,
            "broker-url": args.broker_url,
            "fernet-key": args.secrets.fernet_key,
            "api-secret-key": args.secrets.api_secret_key,
            "jwt-secret": args.secrets.jwt_secret,
            "admin-password": args.secrets.admin_password,
        }
        secret = k8s.core.v1.Secret(
            f"{name}-secrets",
            metadata=kube.object_meta(SECRET_NAME, args.namespace, "airflow"),
            type="Opaque",
            string_data=secret_data,
            opts=child,
        )
        self._secrets_digest = kube.secrets_digest(secret_data, args.secrets.api_secret_key)
        # Pods take the Secret's name from the object, so Pulumi creates it before any pod that reads it.
        self._secret_name = secret.metadata.name

        api_service = k8s.core.v1.Service(
            f"{name}-api-server-service",
            metadata=kube.object_meta(API_SERVICE_NAME, args.namespace, "api-server"),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=kube.selector_labels("api-server"),
                ports=[k8s.core.v1.ServicePortArgs(name=API_PORT_NAME, port=API_PORT, target_port=API_PORT_NAME)],
            ),
            opts=child,
        )
        self._execution_api_url = pulumi.Output.format(
            "http://{0}.{1}.svc:{2}/execution/", api_service.metadata.name, api_service.metadata.namespace, API_PORT
        )

        self._migration_job(settings)
        http_health = k8s.core.v1.HTTPGetActionArgs(path=HEALTH_PATH, port=API_PORT_NAME)
        processes = [
            Process(
                component="api-server",
                args=["api-server"],
                settings=settings.api_server,
                parses_dags=False,
                ports=[k8s.core.v1.ContainerPortArgs(name=API_PORT_NAME, container_port=API_PORT)],
                env=[
                    # Only here, so no other process waits for the ingress controller's address. The cost: a link
                    # built from base_url in any other process falls back to http://localhost:8080/, e.g. the task
                    # log URL (`ti.log_url`) in failure emails, on_failure_callback or notifiers run by a worker, or
                    # DAG callbacks run by the dag-processor. Links the UI and the API build are unaffected.
                    k8s.core.v1.EnvVarArgs(name="AIRFLOW__API__BASE_URL", value=args.base_url),
                    # The UI is only reached through the TLS Ingress: FAB's session cookie gets `Secure` (browsers
                    # still accept it on http://localhost, for a port-forward).
                    k8s.core.v1.EnvVarArgs(name="AIRFLOW__FAB__COOKIE_SECURE", value="True"),
                    # FAB builds its URLs (login redirects) from the X-Forwarded-* headers, one hop deep: the
                    # Ingress controller's, so they say https and the external host. The only other clients let in
                    # (NetworkPolicies) are the Airflow processes, which hold the same secrets anyway.
                    k8s.core.v1.EnvVarArgs(name="AIRFLOW__FAB__ENABLE_PROXY_FIX", value="True"),
                ],
                startup=k8s.core.v1.ProbeArgs(http_get=http_health, period_seconds=10, timeout_seconds=5, failure_threshold=30),
                readiness=k8s.core.v1.ProbeArgs(http_get=http_health, period_seconds=10, timeout_seconds=5, failure_threshold=3),
                liveness=k8s.core.v1.ProbeArgs(http_get=http_health, period_seconds=20, timeout_seconds=10, failure_threshold=5),
            ),
            Process(
                component="scheduler",
                args=["scheduler"],
                settings=settings.scheduler,
                # With a standalone dag-processor the scheduler never reads DAG files.
                parses_dags=False,
                grooms_logs=True,
                liveness=job_check_probe("SchedulerJob"),
            ),
            Process(
                component="dag-processor",
                args=["dag-processor"],
                settings=settings.dag_processor,
                parses_dags=True,
                grooms_logs=True,
                liveness=job_check_probe("DagProcessorJob"),
                env=[k8s.core.v1.EnvVarArgs(name=name, value=value) for name, value in args.dags.dag_processor_env.items()],
            ),
            Process(
                component="triggerer",
                args=["triggerer"],
                settings=settings.triggerer,
                parses_dags=True,
                grooms_logs=True,
                liveness=job_check_probe("TriggererJob"),
                ports=[k8s.core.v1.ContainerPortArgs(name="triggerer-logs", container_port=TRIGGERER_LOG_PORT)],
                env=[k8s.core.v1.EnvVarArgs(name="AIRFLOW__CORE__HOSTNAME_CALLABLE", value=TRIGGERER_HOSTNAME_CALLABLE)],
            ),
        ]
        deployments = {process.component: self._deployment(process) for process in processes}
        self._workers(settings)

        self.components = [process.component for process in processes] + [WORKER_COMPONENT]
        self.process_env = self._common_env()
        self.process_env_from = args.overrides.env_from
        self.api_service_name = api_service.metadata.name
        self.api_server_deployment_name = deployments["api-server"].metadata.name
        self.api_service_port = API_PORT
        # pragma: no mutate block - equivalent: nothing reads a component's registered outputs back
        self.register_outputs(
            {
                "api_service_name": self.api_service_name,
                "api_service_port": self.api_service_port,
                "worker_statefulset_name": self.worker_statefulset_name,
                "api_server_deployment_name": self.api_server_deployment_name,
            }
        )

    # --- building blocks ----------------------------------------------------------------------------------------

    def _common_env(self) -> list[k8s.core.v1.EnvVarArgs]:
        args = self._args
        plain = {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__AUTH_MANAGER": AUTH_MANAGER,
            # Airflow and FAB write default config files at start; keep them on the writable runtime volume.
            "AIRFLOW_CONFIG": f"{RUNTIME_DIR}/airflow.cfg",
            "AIRFLOW__FAB__CONFIG_FILE": f"{RUNTIME_DIR}/{WEBSERVER_CONFIG_KEY}",
        }
        env = [k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in plain.items()]
        env += [
            k8s.core.v1.EnvVarArgs(name="AIRFLOW__CORE__DAGS_FOLDER", value=args.dags.folder),
            k8s.core.v1.EnvVarArgs(name="AIRFLOW__CORE__EXECUTION_API_SERVER_URL", value=self._execution_api_url),
            kube.secret_env("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", self._secret_name, "sql-alchemy-conn"),
            kube.secret_env("AIRFLOW__CELERY__BROKER_URL", self._secret_name, "broker-url"),
            kube.secret_env("AIRFLOW__CORE__FERNET_KEY", self._secret_name, "fernet-key"),
            kube.secret_env("AIRFLOW__API__SECRET_KEY", self._secret_name, "api-secret-key"),
            kube.secret_env("AIRFLOW__API_AUTH__JWT_SECRET", self._secret_name, "jwt-secret"),
        ]
        return env + args.overrides.env

    def _writable_dirs(self, with_logs: bool, tmp_size: str = kube.SCRATCH_SIZE) -> kube.PodAddons:
        pairs = [kube.writable_dir("runtime", RUNTIME_DIR), kube.writable_dir("tmp", "/tmp", tmp_size)]
        if with_logs:
            pairs.append(kube.writable_dir("logs", LOGS_PATH, LOCAL_LOGS_SIZE))
        return kube.PodAddons(volumes=[v for v, _ in pairs], mounts=[m for _, m in pairs])

    def _container(
        self,
        name: str,
        args: list[str],
        resources: Resources,
        addons: kube.PodAddons,
        extra_env: list[k8s.core.v1.EnvVarArgs] | None = None,
        ports: list[k8s.core.v1.ContainerPortArgs] | None = None,
        liveness: k8s.core.v1.ProbeArgs | None = None,
        readiness: k8s.core.v1.ProbeArgs | None = None,
        startup: k8s.core.v1.ProbeArgs | None = None,
    ) -> k8s.core.v1.ContainerArgs:
        settings = self._args.settings
        return k8s.core.v1.ContainerArgs(
            name=name,
            image=settings.airflow_image,
            image_pull_policy=settings.image_pull_policy,
            args=args,
            env=self._common_env() + addons.env + (extra_env or []),
            env_from=self._args.overrides.env_from or None,
            ports=ports or None,
            liveness_probe=liveness,
            readiness_probe=readiness,
            startup_probe=startup,
            security_context=kube.container_security(AIRFLOW_UID, AIRFLOW_GID),
            resources=kube.resource_requirements(resources),
            volume_mounts=addons.mounts,
        )

    def _pod_spec(
        self,
        component: str,
        main: k8s.core.v1.ContainerArgs,
        addons: kube.PodAddons,
        wait_for_migrations: Resources | None,
        restart_policy: str | None = None,
        grace_seconds: int | None = None,
    ) -> k8s.core.v1.PodSpecArgs:
        """`wait_for_migrations`: the resources of an init container that holds the pod until the database schema is
        current; None for the migration Job itself."""
        service_account = kube.service_account(
            f"{self._name}-{component}-sa", f"airflow-{component}", self._args.namespace, component, self
        )
        init_containers = []
        if wait_for_migrations is not None:
            init_containers.append(
                self._container(
                    "wait-for-migrations",
                    ["db", "check-migrations", f"--migration-wait-timeout={MIGRATION_WAIT_SECONDS}"],
                    wait_for_migrations,
                    addons,
                )
            )
        return k8s.core.v1.PodSpecArgs(
            service_account_name=service_account.metadata.name,
            automount_service_account_token=False,
            enable_service_links=False,
            restart_policy=restart_policy,
            termination_grace_period_seconds=grace_seconds,
            # fsGroup: the kubelet gives the worker's logs volume to group 0, so uid 50000 (in it) can write it.
            security_context=kube.pod_security(AIRFLOW_UID, AIRFLOW_GID, fs_group=AIRFLOW_GID),
            init_containers=addons.init_containers + init_containers,
            containers=[main, *addons.sidecars],
            volumes=addons.volumes,
        )

    def _local_log_groomer(self) -> k8s.core.v1.ContainerArgs:
        settings = self._args.settings
        return log_groomer(
            settings.airflow_image,
            settings.image_pull_policy,
            settings.worker_logs.groomer,
            LOCAL_LOGS_RETENTION_DAYS,
            k8s.core.v1.VolumeMountArgs(name="logs", mount_path=LOGS_PATH),
            run_as=(AIRFLOW_UID, AIRFLOW_GID),
        )

    def _pod_addons(self, process_parses_dags: bool, with_logs: bool, tmp_size: str = kube.SCRATCH_SIZE) -> kube.PodAddons:
        addons = self._writable_dirs(with_logs, tmp_size)
        if process_parses_dags:
            addons = addons + self._args.dags.addons
        return addons

    def _pod_metadata(self, component: str, annotations: Mapping[str, str] | None = None) -> k8s.meta.v1.ObjectMetaArgs:
        overrides_digest = self._args.overrides.digest
        return k8s.meta.v1.ObjectMetaArgs(
            labels=kube.labels(component),
            annotations={
                **(annotations or {}),
                SECRETS_DIGEST_ANNOTATION: self._secrets_digest,
                **({OVERRIDES_DIGEST_ANNOTATION: overrides_digest} if overrides_digest else {}),
            },
        )

    def _task_env(self, component: str) -> list[k8s.core.v1.EnvVarArgs]:
        """Connections and variables, for the processes that run tasks or callbacks."""
        return self._args.overrides.task_env if component in TASK_RUNNERS else []

    # --- workloads ----------------------------------------------------------------------------------------------

    def _migration_job(self, settings: Settings) -> None:
        component = "migrations"
        addons = self._writable_dirs(with_logs=True)
        # `users create` leaves an existing user untouched, so re-running the Job on an upgrade is safe.
        # No --password: bash would expand it into airflow's argv, readable by anyone who can list processes. Without
        # it FAB asks twice with getpass, which (no terminal in a pod) reads lines from stdin. printf is a bash
        # builtin: the password is never in any process's arguments.
        script = (
            "airflow db migrate && "
            'printf \'%s\\n%s\\n\' "$ADMIN_PASSWORD" "$ADMIN_PASSWORD" | '
            'airflow users create --role Admin --username "$ADMIN_USERNAME" --email "$ADMIN_EMAIL" '
            "--firstname Airflow --lastname Admin"
        )
        main = self._container(
            "migrate",
            ["bash", "-c", script],
            settings.migrations,
            addons,
            extra_env=[
                k8s.core.v1.EnvVarArgs(name="ADMIN_USERNAME", value=settings.admin_username),
                k8s.core.v1.EnvVarArgs(name="ADMIN_EMAIL", value=settings.admin_email),
                kube.secret_env("ADMIN_PASSWORD", self._secret_name, "admin-password"),
            ],
        )
        image = settings.airflow_image
        k8s.batch.v1.Job(
            f"{self._name}-db-migrate",
            # kube.object_meta's name is a plain string; this one waits for the digest.
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=self._secrets_digest.apply(lambda digest: migration_job_name(image, digest)),
                namespace=self._args.namespace,
                labels=kube.labels(component),
                annotations=kube.checkov_skips(*kube.WORKLOAD_SKIPS),
            ),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=6,
                active_deadline_seconds=1800,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=self._pod_metadata(component),
                    spec=self._pod_spec(component, main, addons, wait_for_migrations=None, restart_policy="OnFailure"),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _deployment(self, process: Process) -> k8s.apps.v1.Deployment:
        addons = self._pod_addons(process.parses_dags, with_logs=True)
        webserver_config = self._args.overrides.webserver_config_secret
        if process.component == "api-server" and webserver_config is not None:
            addons = addons + webserver_config_addons(webserver_config)
        if process.grooms_logs:
            addons = addons + kube.PodAddons(sidecars=[self._local_log_groomer()])
        main = self._container(
            process.component,
            process.args,
            process.settings.resources,
            addons,
            process.env + self._task_env(process.component),
            ports=process.ports,
            liveness=process.liveness,
            readiness=process.readiness,
            startup=process.startup,
        )
        return k8s.apps.v1.Deployment(
            f"{self._name}-{process.component}",
            metadata=kube.object_meta(
                f"airflow-{process.component}",
                self._args.namespace,
                process.component,
                annotations=kube.checkov_skips(
                    *kube.WORKLOAD_SKIPS,
                    *([] if process.readiness else [kube.NO_READINESS_PROBE]),
                    *kube.sidecar_skips(addons.sidecars),
                ),
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=process.settings.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector_labels(process.component)),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=self._pod_metadata(process.component),
                    spec=self._pod_spec(process.component, main, addons, wait_for_migrations=process.settings.resources),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _workers(self, settings: Settings) -> None:
        component = WORKER_COMPONENT
        storage = self._args.worker_storage
        # Tasks write their temporary files here. Past the limit the kubelet evicts the whole pod and kills every task
        # running in it, so give room for ordinary big temp files (downloads, sorts, exports); still bounded, so a
        # runaway task cannot fill the node's disk.
        addons = self._pod_addons(process_parses_dags=True, with_logs=False, tmp_size="2Gi") + storage.addons
        main = self._container(
            component,
            ["celery", "worker"],
            settings.worker.resources,
            addons,
            extra_env=[
                # dumb-init must pass SIGTERM to the worker alone, so Celery does a warm shutdown and finishes its tasks.
                k8s.core.v1.EnvVarArgs(name="DUMB_INIT_SETSID", value="0"),
                k8s.core.v1.EnvVarArgs(
                    name="AIRFLOW__CELERY__WORKER_CONCURRENCY", value=str(settings.customisation.worker_concurrency)
                ),
                *self._task_env(component),
            ],
            ports=[k8s.core.v1.ContainerPortArgs(name="worker-logs", container_port=WORKER_LOG_PORT)],
            liveness=kube.exec_probe(
                ["sh", "-c", f'exec celery --app {CELERY_APP} inspect ping -d "celery@$(hostname)"'],
                period=60,
                timeout=30,
                failures=5,
                initial_delay=30,
            ),
        )
        workers = k8s.apps.v1.StatefulSet(
            f"{self._name}-worker",
            metadata=kube.object_meta(
                "airflow-worker",
                self._args.namespace,
                component,
                annotations=kube.checkov_skips(
                    *kube.WORKLOAD_SKIPS, kube.NO_READINESS_PROBE, *kube.sidecar_skips(addons.sidecars)
                ),
            ),
            spec=k8s.apps.v1.StatefulSetSpecArgs(
                replicas=settings.worker.replicas,
                service_name=storage.service_name,
                # Workers are interchangeable: start and stop them all at once rather than one by one.
                pod_management_policy="Parallel",
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=kube.selector_labels(component)),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=self._pod_metadata(
                        component,
                        {**storage.pod_annotations, SAFE_TO_EVICT_ANNOTATION: str(settings.worker_safe_to_evict).lower()},
                    ),
                    spec=self._pod_spec(
                        component,
                        main,
                        addons,
                        wait_for_migrations=settings.worker.resources,
                        grace_seconds=settings.worker_termination_grace_period,
                    ),
                ),
                volume_claim_templates=storage.volume_claim_templates or None,
                persistent_volume_claim_retention_policy=storage.retention_policy,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.worker_statefulset_name = workers.metadata.name
