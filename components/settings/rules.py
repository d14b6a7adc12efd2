"""Value rules shared by every area: each turns the raw string into a typed value or raises ValueError with "what is
allowed", which the reader reports with the key and the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
IMAGE_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*$")
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
IMAGE_REFERENCE = re.compile(IMAGE_REPOSITORY.pattern[:-1] + r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$")
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
CPU_QUANTITY = re.compile(r"^(\d+(\.\d+)?|\.\d+)m?$")
MEMORY_QUANTITY = re.compile(r"^(\d+(\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
BINARY_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
DECIMAL_SUFFIX = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
# Every component label the stack gives a pod, which per-component settings are keyed by (beside `default`); the
# tests check this list against the full render.
COMPONENTS = (
    "api-server", "scheduler", "dag-processor", "triggerer", "worker", "migrations", "metadata-cleanup",
    "database-backup", "pgbouncer", "postgresql", "redis", "statsd-exporter",
)  # fmt: skip
DEFAULT = "default"
TRUE_WORDS, FALSE_WORDS = ("true",), ("false",)


def parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError("must be true or false")


def integer_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            number = int(raw.strip())
        except ValueError:
            raise ValueError(f"must be a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return number

    return parse


def one_of(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError("must be one of " + ", ".join(allowed))
        return raw

    return parse


def dns_label(raw: str) -> str:
    if not DNS_LABEL.match(raw):
        raise ValueError(
            "must be a DNS-1123 label: 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit"
        )
    return raw


LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
# An optional DNS-subdomain prefix and a slash, then the name.
LABEL_KEY = re.compile(rf"^({DNS_SUBDOMAIN.pattern[1:-1]}/)?{LABEL_NAME}$")
LABEL_VALUE = re.compile(rf"^({LABEL_NAME})?$")
LABEL_SELECTOR_RULE = "must be comma-separated key=value labels such as k8s-app=kube-dns (Kubernetes label syntax)"


def label_selector(raw: str) -> dict[str, str]:
    pairs = [pair.strip().partition("=") for pair in raw.split(",")]
    if not all(sep and LABEL_KEY.match(key) and LABEL_VALUE.match(value) for key, sep, value in pairs):
        raise ValueError(LABEL_SELECTOR_RULE)
    return {key: value for key, _, value in pairs}


def dns_subdomain_or_empty(raw: str) -> str:
    if raw and not DNS_SUBDOMAIN.match(raw):
        raise ValueError("must be empty or a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')")
    return raw


def image_repository(raw: str) -> str:
    if not IMAGE_REPOSITORY.match(raw):
        raise ValueError("must be an image repository without tag, such as apache/airflow or registry.example.com/airflow")
    return raw


def image_tag(raw: str) -> str:
    if not IMAGE_TAG.match(raw):
        raise ValueError("must be an image tag: letters, digits, '_', '.' and '-', at most 128 characters")
    return raw


def airflow_image_tag(raw: str) -> str:
    """An image tag that, when it names a version, names Airflow 3: the processes and settings here are Airflow 3's."""
    image_tag(raw)
    version = re.match(r"^v?(\d+)\.", raw)
    if version and version.group(1) != "3":
        raise ValueError("must be an Airflow 3.x image tag such as 3.3.2 (this stack runs Airflow 3's processes)")
    return raw


def image_reference(raw: str) -> str:
    unpinned = ":" not in raw.rsplit("/", 1)[-1] and "@" not in raw
    if not IMAGE_REFERENCE.match(raw) or unpinned:
        raise ValueError("must be a pinned image reference repository:tag (or @sha256:digest), such as postgres:18.1")
    return raw


def image_digest_or_empty(raw: str) -> str:
    if raw and not re.match(r"^sha256:[a-f0-9]{64}$", raw):
        raise ValueError("must be empty or an image digest such as sha256:<64 lower-case hex digits>")
    return raw


def email(raw: str) -> str:
    if not EMAIL.match(raw):
        raise ValueError("must be an e-mail address such as ops@example.com")
    return raw


def username(raw: str) -> str:
    if not re.match(r"^[A-Za-z0-9_.@-]{1,64}$", raw):
        raise ValueError("must be 1 to 64 letters, digits, '_', '.', '@' or '-'")
    return raw


def cpu_quantity(raw: str) -> str:
    if not CPU_QUANTITY.match(raw) or quantity_value(raw) == 0:
        raise ValueError("must be a positive Kubernetes CPU quantity such as 250m, 0.5 or 2")
    return raw


def memory_quantity(raw: str) -> str:
    if not MEMORY_QUANTITY.match(raw) or quantity_value(raw) == 0:
        hint = ""
        suggestion = re.match(r"^(\d+(?:\.\d+)?)\s*([KMGTPE])i?B?$", raw.strip(), re.IGNORECASE)
        if suggestion:
            hint = f" (did you mean '{suggestion.group(1)}{suggestion.group(2).upper()}i'?)"
        raise ValueError("must be a positive Kubernetes quantity such as 512Mi or 2Gi" + hint)
    return raw


def quantity_value(raw: str) -> Decimal:
    """The number a Kubernetes quantity stands for (cores or bytes), to compare a request with its limit."""
    match = re.match(r"^([0-9.]+)([A-Za-z]*)$", raw)
    if not match:
        raise ValueError(raw)
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:
        raise ValueError(raw) from None
    suffix = match.group(2)
    if suffix == "m":
        return number / 1000
    return number * BINARY_SUFFIX.get(suffix, DECIMAL_SUFFIX.get(suffix, 1))


def member_of(enum: type[E]) -> Callable[[str], E]:
    def parse(raw: str) -> E:
        try:
            return enum(raw)
        except ValueError:
            raise ValueError("must be one of " + ", ".join(member.value for member in enum)) from None

    return parse


GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ms|s|m|h))+$")
DURATION_SECONDS = {"ms": Decimal("0.001"), "s": Decimal(1), "m": Decimal(60), "h": Decimal(3600)}


def duration_seconds(raw: str) -> Decimal:
    return sum(
        (Decimal(number) * DURATION_SECONDS[unit] for number, _, unit in re.findall(r"(\d+(\.\d+)?)(ms|s|m|h)", raw)),
        Decimal(0),
    )


MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (low, high, names from low on) of each field, as the CronJob controller's parser reads them; 7 is Sunday too.
CRON_FIELDS = ((0, 59, ()), (0, 23, ()), (1, 31, ()), (1, 12, MONTH_NAMES), (0, 7, WEEKDAY_NAMES))
CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
CRON_RULE = (
    "must be a cron schedule in UTC: five fields (minute hour day-of-month month day-of-week), each *, a number, a "
    "range a-b or a list a,b, each optionally /step, e.g. '0 2 * * *'; or one of " + ", ".join(CRON_MACROS)
)


def cron_value(text: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text.lower() in names:
        return low + names.index(text.lower())
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(CRON_RULE)
    return int(text)


def cron_item(item: str, low: int, high: int, names: tuple[str, ...]) -> None:
    span, slash, step = item.partition("/")
    if slash:
        if not step.isdigit() or int(step) < 1:
            raise ValueError(CRON_RULE)
        # The controller takes any step, but one longer than the field's range is the classic "*/90 minutes" mistake:
        # it matches the first value only (every hour at :00).
        if int(step) > high - low:
            raise ValueError(
                f"must be a cron schedule in UTC: '{item}' steps past its field's range {low}-{high}, so it matches "
                "one value only; write that value, or a step that fits"
            )
    if span in ("*", "?"):  # the controller's parser reads "?" as "*"
        return
    first, dash, last = span.partition("-")
    start = cron_value(first, low, high, names)
    if dash and cron_value(last, low, high, names) < start:
        raise ValueError(CRON_RULE)


def cron_schedule(raw: str) -> str:
    """A schedule the CronJob controller accepts, normalised to single spaces (what the API server then shows)."""
    fields = raw.split()
    if len(fields) == 1 and fields[0] in CRON_MACROS:
        return fields[0]
    if len(fields) != len(CRON_FIELDS):
        raise ValueError(CRON_RULE)
    for field_text, (low, high, names) in zip(fields, CRON_FIELDS, strict=True):
        for item in field_text.split(","):
            cron_item(item, low, high, names)
    return " ".join(fields)

