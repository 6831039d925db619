"""StagingPro: staging, sandbox and GitOps deployment for BigCommerce stores."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stagingpro")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
