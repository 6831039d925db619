"""Reaching stores: the BigCommerce REST client, its rate governor, the observed catalog."""

from controller.catalog.observed import ObservedCatalog
from controller.stores.bigcommerce import BatchOutcome, BigCommerceStore, RetryPolicy, Token
from controller.stores.errors import (
    CredentialsRejected,
    RateLimited,
    RequestRejected,
    StoreNotFound,
    StoreUnavailable,
)
from controller.stores.governor import RateGovernor

__all__ = [
    "BatchOutcome",
    "BigCommerceStore",
    "CredentialsRejected",
    "ObservedCatalog",
    "RateGovernor",
    "RateLimited",
    "RequestRejected",
    "RetryPolicy",
    "StoreNotFound",
    "StoreUnavailable",
    "Token",
]
