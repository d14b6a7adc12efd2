"""The e2e stack's configuration, shared by the engine tier (test_airflow.py writes it into the stack file) and
the acceptance tier (test_acceptance.py renders the program under mocks with it), so both check one deployment."""

import kube

NAMESPACE = "airflow-e2e"
# A name that resolves nowhere: the host must come from config, not from the load balancer's address.
DOMAIN = "airflow.e2e.test"
CONFIG = {
    "namespace": NAMESPACE,
    # No kubelet runs, so no Pod ever becomes ready: the provider must not wait for readiness.
    "skipAwait": True,
    "ingressMode": "existing",
    "ingressExistingService": f"{kube.INGRESS_NAMESPACE}/{kube.INGRESS_SERVICE}",
    "ingressClassName": kube.INGRESS_CLASS,
    "tlsMode": "existing",
    "issuerKind": "self-signed",
    "domain": DOMAIN,
    "workerReplicas": 1,
    # Every optional workload on, so both tiers apply it: the pool (the backups and clean-up are on by default), the
    # metrics exporter with its ServiceMonitor (the Prometheus Operator's CRD, which the harness installs) and the
    # dashboard.
    "pgbouncerEnabled": True,
    "metricsEnabled": True,
    "metricsServiceMonitor": True,
    "metricsGrafanaDashboard": True,
    # Structured keys, which the real CLI checks against Pulumi.yaml's object and array types and hands the program as
    # JSON: they reach every pod template, which both tiers compare with what the API server stored.
    "airflowConfig": {"core": {"parallelism": 32}},
    "imagePullSecrets": ["registry-acme"],
    "podLabels": {"default": {"team": "data"}},
    "scheduling": {"worker": {"tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}]}},
}
# KEDA scaling the workers, with the KEDA the cluster already has (its CRDs, which the harness installs), and an HPA
# the api-server: the acceptance tier applies their objects with the rest; the engine tier turns them on in a test of
# its own, after the tests that change the worker count through the stack.
AUTOSCALING = {"workerAutoscaling": True, "kedaMode": "existing", "workerMaxReplicas": 4, "apiServerAutoscaling": True}
# The kinds the program creates with this configuration: a test that finds none of one
# would otherwise pass on an empty stack.
EXPECTED_KINDS = {"Namespace", "Secret", "Service", "Deployment", "StatefulSet", "Job", "Ingress", "ClusterIssuer",
                  "PodDisruptionBudget", "CronJob", "ConfigMap", "ServiceMonitor"}
AUTOSCALING_KINDS = {"ScaledObject", "TriggerAuthentication", "HorizontalPodAutoscaler"}
