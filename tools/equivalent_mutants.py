"""Surviving mutants of components/ that change no behaviour, so no test can kill them, each with why.

A mark names the function (mutmut's name without its number) and the mutant's change: the lines it removes and the
lines it adds, stripped of indentation. Not mutmut's numbers: they shift whenever the function changes, and a mark
must not silently move to another mutant. `tools/mutate.py` counts a marked survivor as equivalent, outside the score,
and names every mark that no longer matches a survivor (the code changed, or a test now kills it): a stale mark is
removed, not kept.

`# pragma: no mutate` would stop every mutant of its line, the ones tests kill too; a mark here stops exactly one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Equivalent:
    function: str
    """mutmut's name of the function without the mutant number: "components.settings.ssh.x_read_ssh"."""
    original: str
    """The lines the mutant removes, stripped, joined by newlines."""
    mutant: str
    """The lines the mutant adds instead, stripped, joined by newlines."""
    why: str


EQUIVALENT: tuple[Equivalent, ...] = (
    # --- settings: core, scheduling, customisation, reader, rules, secrets, autoscaling, metrics, worker_logs, resources
    # --- settings: ssh, git_sync, git_repository, database, edge
    # --- airflow, airflow_overrides, pod_customisation, kube, git_sync, secrets, worker_logs, log_groomer,
    # disruption_budgets, database_url
    Equivalent(
        "components.airflow.xǁAirflowCoreǁ_workers",
        'addons = self._pod_addons(process_parses_dags=True, with_logs=False, tmp_size="2Gi") + storage.addons',
        'addons = self._pod_addons(process_parses_dags=True, with_logs=None, tmp_size="2Gi") + storage.addons',
        "_writable_dirs reads with_logs only as a condition: None and False are both falsy",
    ),
    Equivalent(
        "components.airflow.xǁAirflowCoreǁ__init__",
        "parses_dags=False,",
        "parses_dags=None,",
        "read only as _pod_addons' condition: None and False are both falsy (the api-server's and the scheduler's)",
    ),
    Equivalent(
        "components.secrets.xǁAirflowSecretsǁ__init__",
        'super().__init__("airflow:index:AirflowSecrets", name, None, opts)',
        'super().__init__("airflow:index:AirflowSecrets", name, None, None)',
        "__main__.py passes no opts to this component: opts is always None",
    ),
    Equivalent(
        "components.secrets.xǁAirflowSecretsǁ__init__",
        'super().__init__("airflow:index:AirflowSecrets", name, None, opts)',
        'super().__init__("airflow:index:AirflowSecrets", name, opts)',
        "__main__.py passes no opts to this component: opts is always None, as props the same as no props",
    ),
    Equivalent(
        "components.secrets.xǁAirflowSecretsǁ__init__",
        'super().__init__("airflow:index:AirflowSecrets", name, None, opts)',
        'super().__init__("airflow:index:AirflowSecrets", name, None, )',
        "__main__.py passes no opts to this component: opts is always None, the default",
    ),
    Equivalent(
        "components.disruption_budgets.xǁDisruptionBudgetsǁ__init__",
        'super().__init__("airflow:index:DisruptionBudgets", name, None, opts)',
        'super().__init__("airflow:index:DisruptionBudgets", name, None, None)',
        "__main__.py passes no opts to this component: opts is always None",
    ),
    Equivalent(
        "components.disruption_budgets.xǁDisruptionBudgetsǁ__init__",
        'super().__init__("airflow:index:DisruptionBudgets", name, None, opts)',
        'super().__init__("airflow:index:DisruptionBudgets", name, opts)',
        "__main__.py passes no opts to this component: opts is always None, as props the same as no props",
    ),
    Equivalent(
        "components.disruption_budgets.xǁDisruptionBudgetsǁ__init__",
        'super().__init__("airflow:index:DisruptionBudgets", name, None, opts)',
        'super().__init__("airflow:index:DisruptionBudgets", name, None, )',
        "__main__.py passes no opts to this component: opts is always None, the default",
    ),
    Equivalent(
        "components.airflow_overrides.xǁAirflowOverridesǁ__init__",
        'super().__init__("airflow:index:AirflowOverrides", name, None, opts)',
        'super().__init__("airflow:index:AirflowOverrides", name, None, None)',
        "__main__.py passes no opts to this component: opts is always None",
    ),
    Equivalent(
        "components.airflow_overrides.xǁAirflowOverridesǁ__init__",
        'super().__init__("airflow:index:AirflowOverrides", name, None, opts)',
        'super().__init__("airflow:index:AirflowOverrides", name, opts)',
        "__main__.py passes no opts to this component: opts is always None, as props the same as no props",
    ),
    Equivalent(
        "components.airflow_overrides.xǁAirflowOverridesǁ__init__",
        'super().__init__("airflow:index:AirflowOverrides", name, None, opts)',
        'super().__init__("airflow:index:AirflowOverrides", name, None, )',
        "__main__.py passes no opts to this component: opts is always None, the default",
    ),
    Equivalent(
        "components.git_sync.xǁGitSyncǁ__init__",
        'super().__init__("airflow:index:GitSync", name, None, opts)',
        'super().__init__("airflow:index:GitSync", name, None, None)',
        "__main__.py passes no opts to this component: opts is always None",
    ),
    Equivalent(
        "components.git_sync.xǁGitSyncǁ__init__",
        'super().__init__("airflow:index:GitSync", name, None, opts)',
        'super().__init__("airflow:index:GitSync", name, opts)',
        "__main__.py passes no opts to this component: opts is always None, as props the same as no props",
    ),
    Equivalent(
        "components.git_sync.xǁGitSyncǁ__init__",
        'super().__init__("airflow:index:GitSync", name, None, opts)',
        'super().__init__("airflow:index:GitSync", name, None, )',
        "__main__.py passes no opts to this component: opts is always None, the default",
    ),
    Equivalent(
        "components.worker_logs.xǁWorkerLogsǁ__init__",
        'super().__init__("airflow:index:WorkerLogs", name, None, opts)',
        'super().__init__("airflow:index:WorkerLogs", name, None, None)',
        "__main__.py passes no opts to this component: opts is always None",
    ),
    Equivalent(
        "components.worker_logs.xǁWorkerLogsǁ__init__",
        'super().__init__("airflow:index:WorkerLogs", name, None, opts)',
        'super().__init__("airflow:index:WorkerLogs", name, opts)',
        "__main__.py passes no opts to this component: opts is always None, as props the same as no props",
    ),
    Equivalent(
        "components.worker_logs.xǁWorkerLogsǁ__init__",
        'super().__init__("airflow:index:WorkerLogs", name, None, opts)',
        'super().__init__("airflow:index:WorkerLogs", name, None, )',
        "__main__.py passes no opts to this component: opts is always None, the default",
    ),
    Equivalent(
        "components.airflow_overrides.xǁAirflowOverridesǁ__init__",
        "env: list[k8s.core.v1.EnvVarArgs] = []",
        "env: list[k8s.core.v1.EnvVarArgs] = None",
        "both branches below assign env before any read",
    ),
    Equivalent(
        "components.pod_customisation.x_attribute",
        "return value.get(name) if isinstance(value, dict) else getattr(value, name, None)",
        "return value.get(name) if isinstance(value, dict) else getattr(value, name, )",
        "every input type has each field it is asked for, and no ServiceAccount's metadata is None: the default is never used",
    ),
    Equivalent(
        "components.pod_customisation.xǁPodCustomisationǁtransformation",
        'component = (attribute(metadata, "labels") or {}).get(COMPONENT_LABEL, "")',
        'component = (attribute(metadata, "labels") or {}).get(COMPONENT_LABEL, None)',
        "every ServiceAccount and pod template has the component label (kube.labels): the default is never read",
    ),
    Equivalent(
        "components.pod_customisation.xǁPodCustomisationǁtransformation",
        'component = (attribute(metadata, "labels") or {}).get(COMPONENT_LABEL, "")',
        'component = (attribute(metadata, "labels") or {}).get(COMPONENT_LABEL, )',
        "every ServiceAccount and pod template has the component label (kube.labels): the default is never read",
    ),
    Equivalent(
        "components.pod_customisation.xǁPodCustomisationǁtransformation",
        'component = (attribute(metadata, "labels") or {}).get(COMPONENT_LABEL, "")',
        'component = (attribute(metadata, "labels") or {}).get(COMPONENT_LABEL, "XXXX")',
        "every ServiceAccount and pod template has the component label (kube.labels): the default is never read",
    ),
    Equivalent(
        "components.pod_customisation.xǁPodCustomisationǁtransformation",
        'component = (metadata.labels or {}).get(COMPONENT_LABEL, "")',
        "component = (metadata.labels or {}).get(COMPONENT_LABEL, None)",
        "every ServiceAccount and pod template has the component label (kube.labels): the default is never read",
    ),
    Equivalent(
        "components.pod_customisation.xǁPodCustomisationǁtransformation",
        'component = (metadata.labels or {}).get(COMPONENT_LABEL, "")',
        "component = (metadata.labels or {}).get(COMPONENT_LABEL, )",
        "every ServiceAccount and pod template has the component label (kube.labels): the default is never read",
    ),
    Equivalent(
        "components.pod_customisation.xǁPodCustomisationǁtransformation",
        'component = (metadata.labels or {}).get(COMPONENT_LABEL, "")',
        'component = (metadata.labels or {}).get(COMPONENT_LABEL, "XXXX")',
        "every ServiceAccount and pod template has the component label (kube.labels): the default is never read",
    ),
    Equivalent(
        "components.pod_customisation.xǁPodCustomisationǁtransformation",
        "if isinstance(metadata, k8s.meta.v1.ObjectMetaArgs) and annotations:",
        "if isinstance(metadata, k8s.meta.v1.ObjectMetaArgs) or annotations:",
        "every ServiceAccount's metadata is ObjectMetaArgs, and merged() with no team annotations returns the stack's unchanged",
    ),
    Equivalent(
        "components.pod_customisation.xǁPodCustomisationǁtransformation",
        "metadata.annotations = merged(metadata.annotations, annotations)",
        "metadata.annotations = merged(None, annotations)",
        "the stack gives no ServiceAccount annotations of its own (kube.service_account): there are none to keep",
    ),
    Equivalent(
        "components.database_url.x_sqlalchemy_url",
        'return f"postgresql+psycopg2://{quote(user, safe=\'\')}:{quote(password, safe=\'\')}@{host}:{port}/{dbname}"',
        'return f"postgresql+psycopg2://{quote(user, safe=\'XXXX\')}:{quote(password, safe=\'\')}@{host}:{port}/{dbname}"',
        "quote never encodes a letter: 'X' marked safe changes nothing",
    ),
    Equivalent(
        "components.database_url.x_sqlalchemy_url",
        'return f"postgresql+psycopg2://{quote(user, safe=\'\')}:{quote(password, safe=\'\')}@{host}:{port}/{dbname}"',
        'return f"postgresql+psycopg2://{quote(user, safe=\'\')}:{quote(password, safe=\'XXXX\')}@{host}:{port}/{dbname}"',
        "quote never encodes a letter: 'X' marked safe changes nothing",
    ),
    # --- postgres, redis, connection_pool, database_backup, metadata_cleanup, metrics_exporter, worker_autoscaler,
    # api_server_autoscaler, network_policies, ingress, ingress_controller, tls_issuer
)
