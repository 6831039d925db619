"""A BigCommerce-compatible store server: many stores in one process, persisted in SQLite, with the
platform's rules, rate limits and injectable faults. The embedded default and the tests' partner."""

from controller.emulator.control import FaultConfig, StoreControl
from controller.emulator.database import StoreDB, StoreProfile
from controller.emulator.resources.hooks import WebhookSettings
from controller.emulator.runner import Emulator, EmulatorThread
from controller.emulator.seed import seed_synthetic, synthetic_products
from controller.emulator.store import Store

__all__ = [
    "Emulator",
    "EmulatorThread",
    "FaultConfig",
    "Store",
    "StoreControl",
    "StoreDB",
    "StoreProfile",
    "WebhookSettings",
    "seed_synthetic",
    "synthetic_products",
]
