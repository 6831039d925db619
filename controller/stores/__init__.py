"""Reaching stores: the HTTP client core (client.py, transport.py, governor.py) and the BigCommerce
REST API over it (bigcommerce.py)."""

from controller.catalog.observed import ObservedCatalog
from controller.stores.bigcommerce import BigCommerceStore
from controller.stores.client import StoreClient, Token
from controller.stores.errors import (
    CredentialsRejected,
    RateLimited,
    RequestRejected,
    StoreNotFound,
    StoreUnavailable,
)
from controller.stores.governor import RateGovernor
from controller.stores.transport import RetryPolicy

__all__ = [
    "BigCommerceStore",
    "CredentialsRejected",
    "ObservedCatalog",
    "RateGovernor",
    "RateLimited",
    "RequestRejected",
    "RetryPolicy",
    "StoreClient",
    "StoreNotFound",
    "StoreUnavailable",
    "Token",
]
