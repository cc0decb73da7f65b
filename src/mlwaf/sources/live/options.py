"""What a live scan is told: scope, cloud, limits. Plain data, validated before any call is made.

Kept free of Azure imports so the command line can check a user's options (and say what is
wrong) before the SDK is loaded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from mlwaf.sources import coverage

ENDPOINT_ENV = "MLWAF_ARM_ENDPOINT"

# Clouds the SDK knows: ARM endpoint, token audience (scope) and Entra authority host.
CLOUDS: dict[str, tuple[str, str, str]] = {
    "AzureCloud": (
        "https://management.azure.com",
        "https://management.azure.com/.default",
        "login.microsoftonline.com",
    ),
    "AzureUSGovernment": (
        "https://management.usgovcloudapi.net",
        "https://management.core.usgovcloudapi.net/.default",
        "login.microsoftonline.us",
    ),
    "AzureChinaCloud": (
        "https://management.chinacloudapi.cn",
        "https://management.chinacloudapi.cn/.default",
        "login.chinacloudapi.cn",
    ),
}

# API versions of the calls a live scan makes. ML at the newest stable version with a full set of
# REST examples in azure-rest-api-specs, diagnostic settings at the version Monitor still serves them.
API_SUBSCRIPTIONS = "2022-12-01"
API_RESOURCE_GRAPH = "2024-04-01"
API_ML = "2025-12-01"
API_DIAGNOSTIC_SETTINGS = "2021-05-01-preview"
# What Azure already knows (mlwaf.sources.live.facts): Compute usages and resource SKUs, the
# providers API with aliases.
API_COMPUTE_USAGES = "2024-07-01"
API_RESOURCE_SKUS = "2021-07-01"
API_PROVIDERS = "2021-04-01"

# Types read from Azure Resource Graph (one query spans a batch of subscriptions) and the types
# whose diagnostic settings are listed: the defaults; a scan plans both from the loaded checks
# (mlwaf.sources.coverage).
GRAPH_TYPES = coverage.GRAPH_TYPES
DIAGNOSTIC_TYPES = coverage.DIAGNOSTIC_TYPES

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# ARM's own rules for the names that end up inside a Resource Graph query (no quotes possible).
_RESOURCE_GROUP = re.compile(r"^[-\w._()]{1,90}$")
_MANAGEMENT_GROUP = re.compile(r"^[-\w.()]{1,90}$")


class LiveUsageError(ValueError):
    """Options that cannot make a live scan; the message says which and why (exit 2)."""


@dataclass
class LiveOptions:
    subscriptions: list[str] = field(default_factory=list)
    all_subscriptions: bool = False
    management_groups: list[str] = field(default_factory=list)
    resource_groups: list[str] = field(default_factory=list)
    cloud: str = "AzureCloud"
    arm_endpoint: str | None = None
    tenant: str | None = None
    max_concurrency: int = 16
    time_budget: float = 1800.0
    record: Path | None = None
    # None: a bar when stderr is a terminal.
    progress: bool | None = None
    # Resource Graph: subscriptions per query and rows per page (both at the service's maxima).
    subscription_batch: int = 1000
    page_size: int = 1000
    # One request may take this long before it counts as timed out (then it is retried).
    call_timeout: float = 60.0
    max_attempts: int = 6
    graph_types: tuple[str, ...] = GRAPH_TYPES
    diagnostic_types: tuple[str, ...] = DIAGNOSTIC_TYPES

    def __post_init__(self) -> None:
        # As on the command line: the environment names the endpoint when the caller does not.
        if self.arm_endpoint is None:
            self.arm_endpoint = os.environ.get(ENDPOINT_ENV) or None

    @property
    def endpoint(self) -> str:
        """The ARM endpoint every call goes to, without a trailing slash."""
        return (self.arm_endpoint or CLOUDS[self.cloud][0]).rstrip("/")

    @property
    def scope(self) -> str:
        """The token audience: the cloud's, also with a custom endpoint (a proxy or private
        link in front of the same cloud's ARM accepts the same tokens)."""
        return CLOUDS[self.cloud][1]

    @property
    def authority(self) -> str:
        return CLOUDS[self.cloud][2]

    def validate(self) -> None:
        if self.cloud not in CLOUDS:
            raise LiveUsageError(f"--cloud takes one of {', '.join(CLOUDS)}, not {self.cloud!r}")
        if self.arm_endpoint is not None:
            parts = urlsplit(self.arm_endpoint)
            if parts.scheme != "https" or not parts.netloc or parts.path not in ("", "/"):
                raise LiveUsageError(
                    f"--arm-endpoint must be an https URL with no path (e.g. https://management.azure.com), "
                    f"not {self.arm_endpoint!r}"
                )
        if not (self.subscriptions or self.all_subscriptions or self.management_groups):
            raise LiveUsageError(
                "a live scan needs --subscription ID, --all-subscriptions or --management-group NAME"
            )
        bad = [s for s in self.subscriptions if not _GUID.match(s)]
        if bad:
            raise LiveUsageError(f"--subscription takes a subscription id (a GUID), not {', '.join(bad)}")
        bad = [g for g in self.resource_groups if not _RESOURCE_GROUP.match(g)]
        if bad:
            raise LiveUsageError(f"not a resource group name: {', '.join(bad)}")
        bad = [g for g in self.management_groups if not _MANAGEMENT_GROUP.match(g)]
        if bad:
            raise LiveUsageError(f"not a management group name: {', '.join(bad)}")
        if self.max_concurrency < 1:
            raise LiveUsageError("--max-concurrency must be at least 1")
        if self.time_budget <= 0:
            raise LiveUsageError("--time-budget must be a positive number of seconds")
