"""crossipam.testing — an offline Azure (Entra ID, Microsoft Graph, ARM) for tests without a cloud.

It speaks the real wire protocol, so the unmodified official clients (azure-identity/MSAL, azure-mgmt-*,
azure-core, the Azure CLI, curl) talk to it as they talk to Azure. It never imports crossipam's own request
code: what it accepts is what Azure documents, not what the library happens to send.

Install with ``pip install "crossipam[testing]"``.
"""

from ._core import Clock, Endpoints, Fault, Faults, Journal, JournalEntry, Settings, real_world_lro_timing
from ._credentials import AppCredentials, CertificateCredentials
from ._http import Request, Response
from ._throttle import (
    ARM_LRO_RETRY_AFTER,
    ARM_THROTTLE_LIMITS,
    ARM_VNET_OPERATION_SECONDS,
    BucketSize,
    ThrottleLimits,
)
from ._validate import ApiVersionRange
from .emulator import AzureEmulator
from .scenarios import SCENARIOS, AdminCredentials, OfflineCloud, ScenarioInfo

__all__ = [
    "ARM_LRO_RETRY_AFTER",
    "ARM_THROTTLE_LIMITS",
    "ARM_VNET_OPERATION_SECONDS",
    "SCENARIOS",
    "AdminCredentials",
    "ApiVersionRange",
    "AppCredentials",
    "AzureEmulator",
    "BucketSize",
    "CertificateCredentials",
    "Clock",
    "Endpoints",
    "Fault",
    "Faults",
    "Journal",
    "JournalEntry",
    "OfflineCloud",
    "Request",
    "Response",
    "ScenarioInfo",
    "Settings",
    "ThrottleLimits",
    "real_world_lro_timing",
]
