"""Airflow's metrics: the StatsD exporter, how Prometheus finds it, the Grafana dashboard, the ingress controller's own
metrics (MetricsExporter, NetworkPolicies, IngressController).
"""

from __future__ import annotations

from dataclasses import dataclass

from components.settings.customisation import OWNED_LABEL_PREFIXES
from components.settings.edge import InstallMode
from components.settings.reader import ConfigReader
from components.settings.resources import Resources, read_resources
from components.settings.rules import dns_label, image_reference, label_selector, parse_bool


@dataclass(frozen=True)
class MetricsSettings:
    """Whether Airflow's StatsD metrics reach Prometheus, and how."""

    enabled: bool
    """Every Airflow process sends StatsD to the exporter, which serves them to Prometheus."""
    image: str
    resources: Resources
    """Of the exporter's container."""
    service_monitor: bool
    """A Prometheus Operator ServiceMonitor for the exporter's Service (and the ingress controller's, with
    `ingress_metrics`)."""
    service_monitor_labels: dict[str, str]
    """Labels of the ServiceMonitors, which the Prometheus selects them by; empty for none."""
    scraper_namespace: str
    """Namespace of the Prometheus that scrapes the exporter: the only one the NetworkPolicy admits."""
    grafana_dashboard: bool
    """A ConfigMap holding the dashboard, for the Grafana sidecar that loads labelled ConfigMaps."""
    grafana_dashboard_label: dict[str, str]
    """The label (one key=value) that sidecar looks for."""
    ingress_metrics: bool
    """ingress-nginx's own metrics endpoint (install mode only)."""


def label_selector_or_empty(raw: str) -> dict[str, str]:
    return label_selector(raw) if raw.strip() else {}


def one_label(raw: str) -> dict[str, str]:
    labels = label_selector(raw)
    if len(labels) != 1:
        raise ValueError("must be exactly one key=value label, such as grafana_dashboard=1")
    return labels


def read_metrics(reader: ConfigReader, ingress_mode: InstallMode) -> MetricsSettings:
    metrics = MetricsSettings(
        enabled=reader.read("metricsEnabled", parse_bool),
        image=reader.read("metricsExporterImage", image_reference),
        resources=read_resources(reader, "metricsExporter"),
        service_monitor=reader.read("metricsServiceMonitor", parse_bool),
        service_monitor_labels=reader.read("metricsServiceMonitorLabels", label_selector_or_empty),
        scraper_namespace=reader.read("metricsScraperNamespace", dns_label),
        grafana_dashboard=reader.read("metricsGrafanaDashboard", parse_bool),
        grafana_dashboard_label=reader.read("metricsGrafanaDashboardLabel", one_label),
        ingress_metrics=reader.read("ingressMetrics", parse_bool),
    )
    for key, labels in (
        ("metricsServiceMonitorLabels", metrics.service_monitor_labels),
        ("metricsGrafanaDashboardLabel", metrics.grafana_dashboard_label),
    ):
        owned = sorted(name for name in labels if name.startswith(OWNED_LABEL_PREFIXES))
        if owned:
            shown = ",".join(f"{name}={value}" for name, value in labels.items())
            reader.fail(key, repr(shown), f"{owned[0]!r} is set by the stack and cannot be overridden")
    off = "airflow:metricsEnabled is false: turn it on, or this off"
    if metrics.service_monitor and not metrics.enabled:
        reader.fail("metricsServiceMonitor", "'true'", f"needs the exporter, and {off}")
    if metrics.grafana_dashboard and not metrics.enabled:
        reader.fail("metricsGrafanaDashboard", "'true'", f"needs the exporter's metrics, and {off}")
    if metrics.service_monitor_labels and not metrics.service_monitor:
        shown = ",".join(f"{key}={value}" for key, value in metrics.service_monitor_labels.items())
        reader.fail(
            "metricsServiceMonitorLabels",
            repr(shown),
            "labels ServiceMonitors, and airflow:metricsServiceMonitor is false: turn it on, or remove these",
        )
    if metrics.ingress_metrics and ingress_mode is InstallMode.EXISTING:
        reader.fail(
            "ingressMetrics",
            "'true'",
            "configures the ingress-nginx this stack installs, and airflow:ingressMode is existing: turn that "
            "controller's metrics on where it is installed, and this off",
        )
    return metrics

