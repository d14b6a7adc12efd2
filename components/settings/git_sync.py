"""DAGs from git: repository, revision, credentials, sync period (GitSync)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pulumi

from components.settings.git_repository import (
    CREDENTIALS_IN_URL_RULE,
    GitRepository,
    GitTransport,
    git_repository_or_empty,
    password_masked,
)
from components.settings.reader import ConfigReader
from components.settings.resources import Resources, read_resources
from components.settings.rules import GO_DURATION, duration_seconds, image_reference, integer_between, parse_bool
from components.settings.ssh import check_ssh_host_keys, known_hosts_lines, ssh_private_key

GIT_REF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/+-]{0,254}$")
PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class GitSyncSettings:
    """Where the DAGs come from when a repository is configured, and how git-sync fetches them."""

    repository: GitRepository
    ref: str
    """Branch, tag or commit; HEAD is the repository's default branch."""
    sub_path: str
    """Folder of the DAGs inside the repository, relative, without a trailing '/'; empty for the root."""
    period: str
    """Time between syncs, a Go duration such as 10s."""
    dag_refresh_interval: int
    """Seconds between the dag-processor's listings of the DAGs folder: the configured value, or the period's."""
    depth: int
    """Commits fetched; 0 is the whole history."""
    max_failures: int
    """Consecutive failed syncs before git-sync exits (and the kubelet restarts it); -1 retries forever."""
    image: str
    resources: Resources
    ssh_key: pulumi.Output[str] | None
    """The private key file's text (secret), for an SSH repository."""
    verify_host_keys: bool
    known_hosts: str
    """The known_hosts file for an SSH repository with verification: the host's built-in lines, then the configured
    ones. Empty otherwise."""
    username: str
    token: pulumi.Output[str] | None
    """Access token (secret), for an HTTPS repository that needs one."""


def git_ref(raw: str) -> str:
    if not GIT_REF.match(raw) or ".." in raw or "//" in raw or raw.endswith(("/", ".", ".lock")):
        raise ValueError(
            "must be a branch, tag or commit such as main, v1.4.0 or a commit hash (HEAD: the default branch)"
        )
    return raw


def repository_sub_path(raw: str) -> str:
    if raw.startswith("/"):
        raise ValueError("must be relative to the repository's root, without a leading '/', such as part2/dags")
    path = raw.rstrip("/")
    segments = path.split("/") if path else []
    if ".." in segments:
        raise ValueError("must stay inside the repository: no '..'")
    if any(segment == "." or not PATH_SEGMENT.match(segment) for segment in segments):
        raise ValueError("must be a folder such as part2/dags: names of letters, digits, '.', '_' and '-' joined by '/'")
    return path


def sync_period(raw: str) -> str:
    rule = "must be a duration from 1s to 24h such as 10s, 1m or 1m30s (units ms, s, m, h)"
    if not GO_DURATION.match(raw):
        raise ValueError(rule)
    if not 1 <= duration_seconds(raw) <= 86400:
        raise ValueError(rule)
    return raw


def username_or_empty(raw: str) -> str:
    if raw and not re.match(r"^[A-Za-z0-9_.@-]{1,64}$", raw):
        raise ValueError("must be empty or 1 to 64 letters, digits, '_', '.', '@' or '-'")
    return raw


def access_token(raw: str) -> str:
    token = raw.strip()
    if not token or len(token) > 1024 or any(character.isspace() for character in token):
        raise ValueError("must be an access token: one line, no spaces (a personal access token or app password)")
    return token


def read_git_sync(reader: ConfigReader) -> GitSyncSettings | None:
    """The git-sync settings, or None when no repository is set (the DAGs baked into the image are used)."""
    masked = password_masked(reader.text("gitSyncRepository"))
    if masked is not None:
        # Read like every key, but never echo the password.
        reader.fail("gitSyncRepository", repr(masked), CREDENTIALS_IN_URL_RULE)
        repository = None
    else:
        repository = reader.read("gitSyncRepository", git_repository_or_empty)
    ref = reader.read("gitSyncRef", git_ref)
    sub_path = reader.read("gitSyncSubPath", repository_sub_path)
    period = reader.read("gitSyncPeriod", sync_period)
    dag_refresh_interval = reader.read("gitSyncDagRefreshInterval", integer_between(0, 86400))
    depth = reader.read("gitSyncDepth", integer_between(0, 1_000_000))
    max_failures = reader.read("gitSyncMaxFailures", integer_between(-1, 1000))
    image = reader.read("gitSyncImage", image_reference)
    resources = read_resources(reader, "gitSync")
    ssh_key = reader.secret("gitSyncSshKey", ssh_private_key)
    verify = reader.read("gitSyncVerifyHostKeys", parse_bool)
    lines = reader.read("gitSyncKnownHosts", known_hosts_lines)
    username = reader.read("gitSyncUsername", username_or_empty)
    token = reader.secret("gitSyncToken", access_token)

    shown_username = repr(username)
    shown_known_hosts = repr(reader.text("gitSyncKnownHosts"))
    if repository is None:
        if not reader.text("gitSyncRepository"):
            unused = "is set, but airflow:gitSyncRepository is empty (the DAGs come from the image): set both or neither"
            for key, shown, value in (
                ("gitSyncSshKey", "(secret)", ssh_key),
                ("gitSyncToken", "(secret)", token),
                ("gitSyncUsername", shown_username, username),
                ("gitSyncKnownHosts", shown_known_hosts, lines),
                ("gitSyncDagRefreshInterval", str(dag_refresh_interval), dag_refresh_interval),
            ):
                if value:
                    reader.fail(key, shown, unused)
        return None

    known_hosts = ""
    if repository.transport is GitTransport.SSH:
        for key, shown, value in (("gitSyncToken", "(secret)", token), ("gitSyncUsername", shown_username, username)):
            if value:
                reader.fail(
                    key,
                    shown,
                    "is for HTTPS repositories, but airflow:gitSyncRepository is an SSH URL: "
                    "use airflow:gitSyncSshKey, or the repository's https:// URL",
                )
        if ssh_key is None:
            reader.fail(
                "gitSyncSshKey",
                "(not set)",
                f"is required for the SSH repository {repository.url}: a read-only deploy key of that repository, "
                "pulumi config set --secret gitSyncSshKey < airflow-dags (docs/dags.md)",
            )
        known_hosts = check_ssh_host_keys(reader, repository, verify, lines)
    else:
        if ssh_key is not None:
            reader.fail(
                "gitSyncSshKey",
                "(secret)",
                "is for SSH repositories, but airflow:gitSyncRepository is an HTTPS URL: use the repository's SSH URL "
                "(git@host:org/repo.git), or airflow:gitSyncUsername and airflow:gitSyncToken",
            )
        if lines:
            reader.fail(
                "gitSyncKnownHosts",
                shown_known_hosts,
                "applies to SSH repositories only; an HTTPS host is verified by its TLS certificate",
            )
        # A bad user name is reported by its own rule only, not also as missing.
        if token is not None and not reader.text("gitSyncUsername"):
            reader.fail("gitSyncUsername", "''", "is required with airflow:gitSyncToken")
        if username and token is None:
            reader.fail(
                "gitSyncToken",
                "(not set)",
                "is required with airflow:gitSyncUsername: pulumi config set --secret gitSyncToken (it prompts)",
            )
    return GitSyncSettings(
        repository=repository,
        ref=ref,
        sub_path=sub_path,
        period=period,
        # Airflow takes whole seconds; rounding up keeps the listing no more frequent than the sync.
        dag_refresh_interval=dag_refresh_interval or math.ceil(duration_seconds(period)),
        depth=depth,
        max_failures=max_failures,
        image=image,
        resources=resources,
        ssh_key=ssh_key,
        verify_host_keys=verify,
        known_hosts=known_hosts,
        username=username,
        token=token,
    )

