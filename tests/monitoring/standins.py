"""The stand-ins, gathered for tests: each lives in its platform's folder (monitoring/platforms/<name>/standin.py)."""

from monitoring.platforms.azure_logic_apps.standin import AzureLogicAppsStandIn, EntraTokenStandIn
from monitoring.platforms.boomi.standin import BoomiStandIn
from monitoring.platforms.celigo.standin import CeligoStandIn
from monitoring.platforms.http.standin import StatusPage
from monitoring.platforms.informatica.standin import InformaticaStandIn
from monitoring.platforms.mulesoft.standin import MuleSoftStandIn
from monitoring.platforms.sap_integration_suite.standin import SapIntegrationSuiteStandIn
from monitoring.platforms.standin import REFUSED, Answer, Recorded, StandIn
from monitoring.platforms.workato.standin import WorkatoStandIn

__all__ = [
    "REFUSED",
    "Answer",
    "AzureLogicAppsStandIn",
    "BoomiStandIn",
    "CeligoStandIn",
    "EntraTokenStandIn",
    "InformaticaStandIn",
    "MuleSoftStandIn",
    "Recorded",
    "SapIntegrationSuiteStandIn",
    "StandIn",
    "StatusPage",
    "WorkatoStandIn",
]
