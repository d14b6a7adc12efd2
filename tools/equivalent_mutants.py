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
    Equivalent(
        "components.settings.scheduling.x_check",
        "close = difflib.get_close_matches(name, properties, n=1)",
        "close = difflib.get_close_matches(name, properties, )",
        "only the best match is shown: nlargest's first of 1, 2 or 3 is the same",
    ),
    Equivalent(
        "components.settings.scheduling.x_check",
        "close = difflib.get_close_matches(name, properties, n=1)",
        "close = difflib.get_close_matches(name, properties, n=2)",
        "only the best match is shown: nlargest's first of 1, 2 or 3 is the same",
    ),
    Equivalent(
        "components.settings.customisation.x_unknown_option",
        "close = difflib.get_close_matches(section, sections, n=1, cutoff=0.8)",
        "close = difflib.get_close_matches(section, sections, cutoff=0.8)",
        "only the best match is shown: nlargest's first of 1, 2 or 3 is the same",
    ),
    Equivalent(
        "components.settings.customisation.x_unknown_option",
        "close = difflib.get_close_matches(section, sections, n=1, cutoff=0.8)",
        "close = difflib.get_close_matches(section, sections, n=2, cutoff=0.8)",
        "only the best match is shown: nlargest's first of 1, 2 or 3 is the same",
    ),
    Equivalent(
        "components.settings.customisation.x_unknown_option",
        "close = difflib.get_close_matches(option, sections[section], n=1)",
        "close = difflib.get_close_matches(option, sections[section], )",
        "only the best match is shown: nlargest's first of 1, 2 or 3 is the same",
    ),
    Equivalent(
        "components.settings.customisation.x_unknown_option",
        "close = difflib.get_close_matches(option, sections[section], n=1)",
        "close = difflib.get_close_matches(option, sections[section], n=2)",
        "only the best match is shown: nlargest's first of 1, 2 or 3 is the same",
    ),
    Equivalent(
        "components.settings.rules.x_label_selector",
        'pairs = [pair.strip().partition("=") for pair in raw.split(",")]',
        'pairs = [pair.strip().rpartition("=") for pair in raw.split(",")]',
        "a key or value cannot hold '=', so a pair with two is refused whichever side takes it",
    ),
    Equivalent(
        "components.settings.rules.x_duration_seconds",
        'Decimal(0),\n)',
        ")",
        "an empty sum is int 0 instead of Decimal 0: the callers only compare it and ceil it",
    ),
    Equivalent(
        "components.settings.rules.x_image_reference",
        'unpinned = ":" not in raw.rsplit("/", 1)[-1] and "@" not in raw',
        'unpinned = ":" not in raw.rsplit("/", )[-1] and "@" not in raw',
        "the last of rsplit's parts is the text after the last '/' whatever the split count",
    ),
    Equivalent(
        "components.settings.rules.x_image_reference",
        'unpinned = ":" not in raw.rsplit("/", 1)[-1] and "@" not in raw',
        'unpinned = ":" not in raw.rsplit("/", 2)[-1] and "@" not in raw',
        "the last of rsplit's parts is the text after the last '/' whatever the split count",
    ),
    Equivalent(
        "components.settings.rules.x_image_reference",
        'unpinned = ":" not in raw.rsplit("/", 1)[-1] and "@" not in raw',
        'unpinned = ":" not in raw.split("/", 1)[-1] and "@" not in raw',
        "in a reference the pattern accepts only the first part (a port) and the last (a tag) hold ':'",
    ),
    Equivalent(
        "components.settings.rules.x_image_reference",
        'unpinned = ":" not in raw.rsplit("/", 1)[-1] and "@" not in raw',
        'unpinned = ":" not in raw.rsplit("/", 1)[-1] and "XX@XX" not in raw',
        "a reference the pattern accepts holds '@' only in '@sha256:', whose ':' already pins it",
    ),
    Equivalent(
        "components.settings.rules.x_cron_schedule",
        "for field_text, (low, high, names) in zip(fields, CRON_FIELDS, strict=True):",
        "for field_text, (low, high, names) in zip(fields, CRON_FIELDS, strict=None):",
        "the fields were counted just above: zip's strictness never applies",
    ),
    Equivalent(
        "components.settings.rules.x_cron_schedule",
        "for field_text, (low, high, names) in zip(fields, CRON_FIELDS, strict=True):",
        "for field_text, (low, high, names) in zip(fields, CRON_FIELDS, ):",
        "the fields were counted just above: zip's strictness never applies",
    ),
    Equivalent(
        "components.settings.rules.x_cron_schedule",
        "for field_text, (low, high, names) in zip(fields, CRON_FIELDS, strict=True):",
        "for field_text, (low, high, names) in zip(fields, CRON_FIELDS, strict=False):",
        "the fields were counted just above: zip's strictness never applies",
    ),
    Equivalent(
        "components.settings.rules.x_memory_quantity",
        'suggestion = re.match(r"^(\\d+(?:\\.\\d+)?)\\s*([KMGTPE])i?B?$", raw.strip(), re.IGNORECASE)',
        'suggestion = re.match(r"^(\\d+(?:\\.\\d+)?)\\s*([KMGTPE])I?B?$", raw.strip(), re.IGNORECASE)',
        "the suggestion's pattern ignores case: 'I' matches 'i'",
    ),
    Equivalent(
        "components.settings.customisation.x_read_webserver_config",
        'compile(text, "webserver_config.py", "exec")',
        'compile(text, "XXwebserver_config.pyXX", "exec")',
        "the message shows only the error's line and text, never the file name compile is given",
    ),
    Equivalent(
        "components.settings.customisation.x_read_webserver_config",
        'compile(text, "webserver_config.py", "exec")',
        'compile(text, "WEBSERVER_CONFIG.PY", "exec")',
        "the message shows only the error's line and text, never the file name compile is given",
    ),
    Equivalent(
        "components.settings.rules.x_quantity_value",
        "raise ValueError(raw)",
        "raise ValueError(None)",
        "only ever given a quantity the CPU or memory pattern accepted, which always parses",
    ),
    Equivalent(
        "components.settings.rules.x_quantity_value",
        "raise ValueError(raw) from None",
        "raise ValueError(None) from None",
        "only ever given a quantity the CPU or memory pattern accepted, which always parses",
    ),
    Equivalent(
        "components.settings.customisation.x_read_webserver_config",
        'return ""',
        'return "XXXX"',
        "a config that is not Python fails the settings: what is returned then is never used",
    ),
    Equivalent(
        "components.settings.customisation.x_read_env_from",
        'kind, _, name = str(source).partition("/")',
        'kind, _, name = str(source).rpartition("/")',
        "a name cannot hold '/', so a source with two is refused whichever side takes it",
    ),
    Equivalent(
        "components.settings.customisation.x_read_customisation",
        'variables=read_named_values(reader, "airflowVariables", "AIRFLOW_VAR_", require_secret=False),',
        'variables=read_named_values(reader, "airflowVariables", "AIRFLOW_VAR_", require_secret=None),',
        "None is false like False: the flag takes the same branch",
    ),
    Equivalent(
        "components.settings.customisation.x_read_customisation",
        'pod_annotations=read_metadata(reader, "podAnnotations", OWNED_ANNOTATION_PREFIXES, labels=False),',
        'pod_annotations=read_metadata(reader, "podAnnotations", OWNED_ANNOTATION_PREFIXES, labels=None),',
        "None is false like False: the flag takes the same branch",
    ),
    Equivalent(
        "components.settings.customisation.x_read_customisation",
        'reader, "serviceAccountAnnotations", OWNED_ANNOTATION_PREFIXES, labels=False',
        'reader, "serviceAccountAnnotations", OWNED_ANNOTATION_PREFIXES, labels=None',
        "None is false like False: the flag takes the same branch",
    ),
    Equivalent(
        "components.settings.reader.xǁConfigReaderǁcheck_undeclared",
        "close = difflib.get_close_matches(key.lower(), extending or declared, n=1, cutoff=0.75 if not extending else 0)",
        "close = difflib.get_close_matches(key.lower(), extending or declared, cutoff=0.75 if not extending else 0)",
        "only the closest match is read (close[0]), and it comes first however many are asked for",
    ),
    Equivalent(
        "components.settings.reader.xǁConfigReaderǁcheck_undeclared",
        "close = difflib.get_close_matches(key.lower(), extending or declared, n=1, cutoff=0.75 if not extending else 0)",
        "close = difflib.get_close_matches(key.lower(), extending or declared, n=2, cutoff=0.75 if not extending else 0)",
        "only the closest match is read (close[0]), and it comes first however many are asked for",
    ),
    Equivalent(
        "components.settings.rules.x_memory_quantity",
        'suggestion = re.match(r"^(\\d+(?:\\.\\d+)?)\\s*([KMGTPE])i?B?$", raw.strip(), re.IGNORECASE)',
        'suggestion = re.match(r"^(\\d+(?:\\.\\d+)?)\\s*([kmgtpe])i?b?$", raw.strip(), re.IGNORECASE)',
        "the pattern ignores case: its letters' case does not matter",
    ),
    Equivalent(
        "components.settings.reader.xǁConfigReaderǁstructured",
        "value = None",
        'value = ""',
        "neither None nor '' is an object or a list: the value is refused either way",
    ),
    Equivalent(
        "components.settings.reader.xǁConfigReaderǁsecret",
        "return pulumi.Output.secret(raw)",
        "return pulumi.Output.secret(None)",
        "read_settings fails on the recorded problem, so the stand-in's value is never read: only that it is not None",
    ),
    # --- settings: ssh, git_sync, git_repository, database, edge
    Equivalent(
        "components.settings.git_sync.x_read_git_sync",
        'known_hosts = ""',
        "known_hosts = None",
        "stays so for HTTPS repositories only, where GitSync reads it by truth alone: no file either way",
    ),
    Equivalent(
        "components.settings.edge.x_read_edge",
        'edge.acme_email.rsplit("@", 1)[-1].lower() in RESERVED_EMAIL_DOMAINS or is_reserved(edge.acme_email)',
        'edge.acme_email.rsplit("@", )[-1].lower() in RESERVED_EMAIL_DOMAINS or is_reserved(edge.acme_email)',
        "the e-mail rule allows exactly one '@': every way of splitting at it gives the same domain",
    ),
    Equivalent(
        "components.settings.edge.x_read_edge",
        'edge.acme_email.rsplit("@", 1)[-1].lower() in RESERVED_EMAIL_DOMAINS or is_reserved(edge.acme_email)',
        'edge.acme_email.split("@", 1)[-1].lower() in RESERVED_EMAIL_DOMAINS or is_reserved(edge.acme_email)',
        "the e-mail rule allows exactly one '@': every way of splitting at it gives the same domain",
    ),
    Equivalent(
        "components.settings.edge.x_read_edge",
        'edge.acme_email.rsplit("@", 1)[-1].lower() in RESERVED_EMAIL_DOMAINS or is_reserved(edge.acme_email)',
        'edge.acme_email.rsplit("@", 2)[-1].lower() in RESERVED_EMAIL_DOMAINS or is_reserved(edge.acme_email)',
        "the e-mail rule allows exactly one '@': every way of splitting at it gives the same domain",
    ),
    Equivalent(
        "components.settings.edge.x_read_edge",
        'edge.acme_email.rsplit("@", 1)[-1].lower() in RESERVED_EMAIL_DOMAINS or is_reserved(edge.acme_email)',
        'edge.acme_email.rsplit("@", 1)[+1].lower() in RESERVED_EMAIL_DOMAINS or is_reserved(edge.acme_email)',
        "the e-mail rule allows exactly one '@': every way of splitting at it gives the same domain",
    ),
    Equivalent(
        "components.settings.git_repository.x_git_repository_or_empty",
        'if scp_like and "://" not in raw:',
        'if scp_like and "XX://XX" not in raw:',
        "an scp-like URL with '://' has it in its path, which the path rule refuses; urlsplit finds no scheme in it either",
    ),
    *(
        Equivalent(
            "components.settings.git_repository.x_git_repository_or_empty",
            'user = (parts.username or "") if transport is GitTransport.SSH else "git"',
            mutant,
            "the HTTPS user is only checked against the user rule, which any of these passes",
        )
        for mutant in (
            'user = (parts.username or "") if transport is GitTransport.SSH else "XXgitXX"',
            'user = (parts.username or "") if transport is GitTransport.SSH else "GIT"',
        )
    ),
    Equivalent(
        "components.settings.git_repository.x_git_repository_or_empty",
        'host, path = parts.hostname or "", parts.path.lstrip("/")',
        'host, path = parts.hostname or "XXXX", parts.path.lstrip("/")',
        "the host rule allows lower case only: an upper-case stand-in is refused like the empty one",
    ),
    Equivalent(
        "components.settings.git_repository.x_git_repository_or_empty",
        'host, path = parts.hostname or "", parts.path.lstrip("/")',
        'host, path = parts.hostname or "", parts.path.rstrip("/")',
        "the path is only checked, by rules that allow '/' anywhere; all slashes strip to empty from either end",
    ),
    *(
        Equivalent(
            "components.settings.git_repository.x_git_repository_or_empty",
            "or not 0 < port < 65536",
            mutant,
            "urlsplit raises on a port above 65535, and an scp-like URL is on 22",
        )
        for mutant in ("or not 0 < port <= 65536", "or not 0 < port < 65537")
    ),
    Equivalent(
        "components.settings.ssh.xǁKnownHostsLineǁcovers",
        'return any(not pattern.startswith("!") and host_pattern_matches(pattern, name) for pattern in self.hosts)',
        'return any(not pattern.startswith("XX!XX") and host_pattern_matches(pattern, name) for pattern in self.hosts)',
        "a '!' pattern matches only a name starting with '!', and a repository's known_hosts name never does",
    ),
    Equivalent(
        "components.settings.ssh.x_base64_text",
        'return base64.b64decode("".join(raw.split()), validate=True).decode("utf-8")',
        'return base64.b64decode("".join(raw.split()), validate=True).decode("UTF-8")',
        "codec names are case-insensitive",
    ),
    *(
        Equivalent(
            "components.settings.ssh.x_host_pattern_matches",
            'salt, digest = pattern[3:].split("|", 1)',
            mutant,
            "with one '|' after the salt every split is the same; with more, strict base64 or the unpacking raises "
            "ValueError alike",
        )
        for mutant in (
            'salt, digest = pattern[3:].split("|", )',
            'salt, digest = pattern[3:].rsplit("|", 1)',
            'salt, digest = pattern[3:].split("|", 2)',
        )
    ),
    Equivalent(
        "components.settings.ssh.x_known_hosts_line",
        'host_pattern_matches(pattern, "")',
        'host_pattern_matches(pattern, "XXXX")',
        "the call only checks that the hashed pattern parses; the name is only hashed, never parsed",
    ),
    *(
        Equivalent(
            "components.settings.ssh.x_known_hosts_line",
            'blob, key_type, hosts = b"", "", ""',
            mutant,
            "after a parse error the key type is not a known one either way, which alone refuses the line",
        )
        for mutant in (
            'blob, key_type, hosts = b"XXXX", "", ""',
            'blob, key_type, hosts = b"", "XXXX", ""',
            'blob, key_type, hosts = b"", "", "XXXX"',
        )
    ),
    Equivalent(
        "components.settings.ssh.x_known_hosts_line",
        'or not blob.startswith(struct.pack(">I", len(encoded_type)) + encoded_type)  # the key says its own type',
        'or not blob.startswith(struct.pack(">i", len(encoded_type)) + encoded_type)  # the key says its own type',
        "a known key type's length is far below 2**31, where signed and unsigned pack alike",
    ),
    Equivalent(
        "components.settings.ssh.x_openssh_cipher",
        '(length,) = struct.unpack_from(">I", blob, len(OPENSSH_KEY_MAGIC))',
        '(length,) = struct.unpack_from(">i", blob, len(OPENSSH_KEY_MAGIC))',
        "a length of 2 GiB or more, negative when signed, fails the length check either way",
    ),
    Equivalent(
        "components.settings.ssh.x_openssh_cipher",
        'return cipher.decode("ascii", "replace")',
        'return cipher.decode("ASCII", "replace")',
        "codec names are case-insensitive",
    ),
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
        "components.airflow.xǁAirflowCoreǁ__init__",
        'super().__init__("airflow:index:AirflowCore", name, None, opts)',
        'super().__init__("airflow:index:AirflowCore", name, None, None)',
        "__main__.py passes no opts to this component: opts is always None",
    ),
    Equivalent(
        "components.airflow.xǁAirflowCoreǁ__init__",
        'super().__init__("airflow:index:AirflowCore", name, None, opts)',
        'super().__init__("airflow:index:AirflowCore", name, None, )',
        "opts left to its default, None: __main__.py passes none",
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
        "claim_templates: list[k8s.core.v1.PersistentVolumeClaimArgs] = []",
        "claim_templates: list[k8s.core.v1.PersistentVolumeClaimArgs] = None",
        "the StatefulSet takes `volume_claim_templates or None`: no claims and None both leave the field out",
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
    Equivalent(
        "components.database_url.x_parse_database_url",
        'host=parts.hostname or "",',
        'host=parts.hostname or "XXXX",',
        "the settings refuse an external URL without a host, and the in-cluster URL names the postgres Service",
    ),
    # --- postgres, redis, connection_pool, database_backup, metadata_cleanup, metrics_exporter, worker_autoscaler,
    # api_server_autoscaler, network_policies, ingress, ingress_controller, tls_issuer
    Equivalent(
        "components.postgres.xǁPostgresǁ__init__",
        'super().__init__("airflow:index:Postgres", name, None, opts)',
        'super().__init__("airflow:index:Postgres", name, None, None)',
        "__main__.py passes no opts: None either way",
    ),
    Equivalent(
        "components.postgres.xǁPostgresǁ__init__",
        'super().__init__("airflow:index:Postgres", name, None, opts)',
        'super().__init__("airflow:index:Postgres", name, opts)',
        "opts as the props: both None, as __main__.py passes no opts",
    ),
    Equivalent(
        "components.postgres.xǁPostgresǁ__init__",
        'super().__init__("airflow:index:Postgres", name, None, opts)',
        'super().__init__("airflow:index:Postgres", name, None, )',
        "opts left to its default, None: __main__.py passes none",
    ),
    Equivalent(
        "components.redis.xǁRedisǁ__init__",
        'super().__init__("airflow:index:Redis", name, None, opts)',
        'super().__init__("airflow:index:Redis", name, None, None)',
        "__main__.py passes no opts: None either way",
    ),
    Equivalent(
        "components.redis.xǁRedisǁ__init__",
        'super().__init__("airflow:index:Redis", name, None, opts)',
        'super().__init__("airflow:index:Redis", name, opts)',
        "opts as the props: both None, as __main__.py passes no opts",
    ),
    Equivalent(
        "components.redis.xǁRedisǁ__init__",
        'super().__init__("airflow:index:Redis", name, None, opts)',
        'super().__init__("airflow:index:Redis", name, None, )',
        "opts left to its default, None: __main__.py passes none",
    ),
    Equivalent(
        "components.connection_pool.xǁConnectionPoolǁ__init__",
        'super().__init__("airflow:index:ConnectionPool", name, None, opts)',
        'super().__init__("airflow:index:ConnectionPool", name, None, None)',
        "__main__.py passes no opts: None either way",
    ),
    Equivalent(
        "components.connection_pool.xǁConnectionPoolǁ__init__",
        'super().__init__("airflow:index:ConnectionPool", name, None, opts)',
        'super().__init__("airflow:index:ConnectionPool", name, opts)',
        "opts as the props: both None, as __main__.py passes no opts",
    ),
    Equivalent(
        "components.connection_pool.xǁConnectionPoolǁ__init__",
        'super().__init__("airflow:index:ConnectionPool", name, None, opts)',
        'super().__init__("airflow:index:ConnectionPool", name, None, )',
        "opts left to its default, None: __main__.py passes none",
    ),
    Equivalent(
        "components.metadata_cleanup.xǁMetadataCleanupǁ__init__",
        'super().__init__("airflow:index:MetadataCleanup", name, None, opts)',
        'super().__init__("airflow:index:MetadataCleanup", name, None, None)',
        "__main__.py passes no opts: None either way",
    ),
    Equivalent(
        "components.metadata_cleanup.xǁMetadataCleanupǁ__init__",
        'super().__init__("airflow:index:MetadataCleanup", name, None, opts)',
        'super().__init__("airflow:index:MetadataCleanup", name, opts)',
        "opts as the props: both None, as __main__.py passes no opts",
    ),
    Equivalent(
        "components.metadata_cleanup.xǁMetadataCleanupǁ__init__",
        'super().__init__("airflow:index:MetadataCleanup", name, None, opts)',
        'super().__init__("airflow:index:MetadataCleanup", name, None, )',
        "opts left to its default, None: __main__.py passes none",
    ),
    Equivalent(
        "components.worker_autoscaler.xǁWorkerAutoscalerǁ__init__",
        'super().__init__("airflow:index:WorkerAutoscaler", name, None, opts)',
        'super().__init__("airflow:index:WorkerAutoscaler", name, None, None)',
        "__main__.py passes no opts: None either way",
    ),
    Equivalent(
        "components.worker_autoscaler.xǁWorkerAutoscalerǁ__init__",
        'super().__init__("airflow:index:WorkerAutoscaler", name, None, opts)',
        'super().__init__("airflow:index:WorkerAutoscaler", name, opts)',
        "opts as the props: both None, as __main__.py passes no opts",
    ),
    Equivalent(
        "components.worker_autoscaler.xǁWorkerAutoscalerǁ__init__",
        'super().__init__("airflow:index:WorkerAutoscaler", name, None, opts)',
        'super().__init__("airflow:index:WorkerAutoscaler", name, None, )',
        "opts left to its default, None: __main__.py passes none",
    ),
    Equivalent(
        "components.api_server_autoscaler.xǁApiServerAutoscalerǁ__init__",
        'super().__init__("airflow:index:ApiServerAutoscaler", name, None, opts)',
        'super().__init__("airflow:index:ApiServerAutoscaler", name, None, None)',
        "__main__.py passes no opts: None either way",
    ),
    Equivalent(
        "components.api_server_autoscaler.xǁApiServerAutoscalerǁ__init__",
        'super().__init__("airflow:index:ApiServerAutoscaler", name, None, opts)',
        'super().__init__("airflow:index:ApiServerAutoscaler", name, opts)',
        "opts as the props: both None, as __main__.py passes no opts",
    ),
    Equivalent(
        "components.api_server_autoscaler.xǁApiServerAutoscalerǁ__init__",
        'super().__init__("airflow:index:ApiServerAutoscaler", name, None, opts)',
        'super().__init__("airflow:index:ApiServerAutoscaler", name, None, )',
        "opts left to its default, None: __main__.py passes none",
    ),
    Equivalent(
        "components.metrics_exporter.xǁMetricsExporterǁ__init__",
        'super().__init__("airflow:index:MetricsExporter", name, None, opts)',
        'super().__init__("airflow:index:MetricsExporter", name, None, None)',
        "__main__.py passes no opts: None either way",
    ),
    Equivalent(
        "components.metrics_exporter.xǁMetricsExporterǁ__init__",
        'super().__init__("airflow:index:MetricsExporter", name, None, opts)',
        'super().__init__("airflow:index:MetricsExporter", name, opts)',
        "opts as the props: both None, as __main__.py passes no opts",
    ),
    Equivalent(
        "components.metrics_exporter.xǁMetricsExporterǁ__init__",
        'super().__init__("airflow:index:MetricsExporter", name, None, opts)',
        'super().__init__("airflow:index:MetricsExporter", name, None, )',
        "opts left to its default, None: __main__.py passes none",
    ),
    Equivalent(
        "components.metrics_exporter.x_mapping_text",
        'return yaml.safe_dump(mapping_config(), sort_keys=False, width=1000)',
        'return yaml.safe_dump(mapping_config(), sort_keys=None, width=1000)',
        "PyYAML sorts the keys only when sort_keys is true",
    ),
    Equivalent(
        "components.metrics_exporter.x_mapping_text",
        'return yaml.safe_dump(mapping_config(), sort_keys=False, width=1000)',
        'return yaml.safe_dump(mapping_config(), sort_keys=False, width=None)',
        "the mapping is fixed, and PyYAML folds a line only at a space, which no scalar of it holds",
    ),
    Equivalent(
        "components.metrics_exporter.x_mapping_text",
        'return yaml.safe_dump(mapping_config(), sort_keys=False, width=1000)',
        'return yaml.safe_dump(mapping_config(), sort_keys=False, )',
        "the mapping is fixed, and PyYAML folds a line only at a space, which no scalar of it holds",
    ),
    Equivalent(
        "components.metrics_exporter.x_mapping_text",
        'return yaml.safe_dump(mapping_config(), sort_keys=False, width=1000)',
        'return yaml.safe_dump(mapping_config(), sort_keys=False, width=1001)',
        "the mapping is fixed, and PyYAML folds a line only at a space, which no scalar of it holds",
    ),
    Equivalent(
        "components.ingress.xǁAirflowIngressǁ__init__",
        'super().__init__("airflow:index:AirflowIngress", name, None, opts)',
        'super().__init__("airflow:index:AirflowIngress", name, None, None)',
        "__main__.py passes no opts: None either way",
    ),
    Equivalent(
        "components.ingress.xǁAirflowIngressǁ__init__",
        'super().__init__("airflow:index:AirflowIngress", name, None, opts)',
        'super().__init__("airflow:index:AirflowIngress", name, opts)',
        "opts as the props: both None, as __main__.py passes no opts",
    ),
    Equivalent(
        "components.ingress.xǁAirflowIngressǁ__init__",
        'super().__init__("airflow:index:AirflowIngress", name, None, opts)',
        'super().__init__("airflow:index:AirflowIngress", name, None, )',
        "opts left to its default, None: __main__.py passes none",
    ),
    Equivalent(
        "components.tls_issuer.xǁTlsIssuerǁ__init__",
        'super().__init__("airflow:index:TlsIssuer", name, None, opts)',
        'super().__init__("airflow:index:TlsIssuer", name, None, None)',
        "__main__.py passes no opts: None either way",
    ),
    Equivalent(
        "components.tls_issuer.xǁTlsIssuerǁ__init__",
        'super().__init__("airflow:index:TlsIssuer", name, None, opts)',
        'super().__init__("airflow:index:TlsIssuer", name, opts)',
        "opts as the props: both None, as __main__.py passes no opts",
    ),
    Equivalent(
        "components.tls_issuer.xǁTlsIssuerǁ__init__",
        'super().__init__("airflow:index:TlsIssuer", name, None, opts)',
        'super().__init__("airflow:index:TlsIssuer", name, None, )',
        "opts left to its default, None: __main__.py passes none",
    ),
    Equivalent(
        "components.ingress_controller.xǁIngressControllerǁ__init__",
        'service_namespace = args.existing_service.partition("/")[0]',
        'service_namespace = args.existing_service.rpartition("/")[0]',
        "ingressExistingService must be <namespace>/<name>: one '/', so either end splits the same",
    ),
    Equivalent(
        "components.ingress_controller.xǁIngressControllerǁ__init__",
        'super().__init__("airflow:index:IngressController", name, None, opts)',
        'super().__init__("airflow:index:IngressController", name, None, None)',
        "__main__.py passes no opts: None either way",
    ),
    Equivalent(
        "components.ingress_controller.xǁIngressControllerǁ__init__",
        'super().__init__("airflow:index:IngressController", name, None, opts)',
        'super().__init__("airflow:index:IngressController", name, opts)',
        "opts as the props: both None, as __main__.py passes no opts",
    ),
    Equivalent(
        "components.ingress_controller.xǁIngressControllerǁ__init__",
        'super().__init__("airflow:index:IngressController", name, None, opts)',
        'super().__init__("airflow:index:IngressController", name, None, )',
        "opts left to its default, None: __main__.py passes none",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_database_flows",
        'return (Flow(clients, postgres.COMPONENT, postgres.PORT, "metadata database"),)',
        'return (Flow(clients, postgres.COMPONENT, postgres.PORT, None),)',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_database_flows",
        'return (Flow(clients, postgres.COMPONENT, postgres.PORT, "metadata database"),)',
        'return (Flow(clients, postgres.COMPONENT, postgres.PORT, "XXmetadata databaseXX"),)',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_database_flows",
        'return (Flow(clients, postgres.COMPONENT, postgres.PORT, "metadata database"),)',
        'return (Flow(clients, postgres.COMPONENT, postgres.PORT, "METADATA DATABASE"),)',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_database_flows",
        'Flow(airflow_clients, connection_pool.COMPONENT, args.pool_port, "metadata database, through PgBouncer"),',
        'Flow(airflow_clients, connection_pool.COMPONENT, args.pool_port, None),',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_database_flows",
        'Flow(airflow_clients, connection_pool.COMPONENT, args.pool_port, "metadata database, through PgBouncer"),',
        'Flow(airflow_clients, connection_pool.COMPONENT, args.pool_port, "XXmetadata database, through PgBouncerXX"),',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_database_flows",
        'Flow(airflow_clients, connection_pool.COMPONENT, args.pool_port, "metadata database, through PgBouncer"),',
        'Flow(airflow_clients, connection_pool.COMPONENT, args.pool_port, "metadata database, through pgbouncer"),',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_database_flows",
        'Flow(airflow_clients, connection_pool.COMPONENT, args.pool_port, "metadata database, through PgBouncer"),',
        'Flow(airflow_clients, connection_pool.COMPONENT, args.pool_port, "METADATA DATABASE, THROUGH PGBOUNCER"),',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_database_flows",
        '"metadata database (PgBouncer\'s server connections, the backups\' dumps)",',
        'None,',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_database_flows",
        '"metadata database (PgBouncer\'s server connections, the backups\' dumps)",',
        '"XXmetadata database (PgBouncer\'s server connections, the backups\' dumps)XX",',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_database_flows",
        '"metadata database (PgBouncer\'s server connections, the backups\' dumps)",',
        '"metadata database (pgbouncer\'s server connections, the backups\' dumps)",',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_database_flows",
        '"metadata database (PgBouncer\'s server connections, the backups\' dumps)",',
        '"METADATA DATABASE (PGBOUNCER\'S SERVER CONNECTIONS, THE BACKUPS\' DUMPS)",',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_metrics_flows",
        'return (Flow(clients, metrics_exporter.COMPONENT, args.statsd_port, "StatsD metrics", protocol="UDP"),)',
        'return (Flow(clients, metrics_exporter.COMPONENT, args.statsd_port, None, protocol="UDP"),)',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_metrics_flows",
        'return (Flow(clients, metrics_exporter.COMPONENT, args.statsd_port, "StatsD metrics", protocol="UDP"),)',
        'return (Flow(clients, metrics_exporter.COMPONENT, args.statsd_port, "XXStatsD metricsXX", protocol="UDP"),)',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_metrics_flows",
        'return (Flow(clients, metrics_exporter.COMPONENT, args.statsd_port, "StatsD metrics", protocol="UDP"),)',
        'return (Flow(clients, metrics_exporter.COMPONENT, args.statsd_port, "statsd metrics", protocol="UDP"),)',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ_metrics_flows",
        'return (Flow(clients, metrics_exporter.COMPONENT, args.statsd_port, "StatsD metrics", protocol="UDP"),)',
        'return (Flow(clients, metrics_exporter.COMPONENT, args.statsd_port, "STATSD METRICS", protocol="UDP"),)',
        "Flow.why only documents the flow: nothing reads it",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ__init__",
        'super().__init__("airflow:index:NetworkPolicies", name, None, opts)',
        'super().__init__("airflow:index:NetworkPolicies", name, None, None)',
        "__main__.py passes no opts: None either way",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ__init__",
        'super().__init__("airflow:index:NetworkPolicies", name, None, opts)',
        'super().__init__("airflow:index:NetworkPolicies", name, opts)',
        "opts as the props: both None, as __main__.py passes no opts",
    ),
    Equivalent(
        "components.network_policies.xǁNetworkPoliciesǁ__init__",
        'super().__init__("airflow:index:NetworkPolicies", name, None, opts)',
        'super().__init__("airflow:index:NetworkPolicies", name, None, )',
        "opts left to its default, None: __main__.py passes none",
    ),
)
