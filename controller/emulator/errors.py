"""Errors of the emulated API, in BigCommerce's documented body shape."""

from __future__ import annotations

from typing import Any

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "The requested resource was not found.",
    409: "Conflict",
    413: "The request payload is too large.",
    422: "Unprocessable Entity",
    429: "Too many requests",
}


class ApiError(Exception):
    """An error response: status, title and per-field messages."""

    def __init__(self, status: int, title: str | None = None, errors: dict[str, str] | None = None):
        self.status = status
        self.title = title or _TITLES.get(status, "Error")
        self.errors = errors or {}
        super().__init__(f"{status} {self.title}")

    def body(self, instance: str = "") -> dict[str, Any]:
        """The JSON body: `{status, title, type, instance?, errors}`."""
        body: dict[str, Any] = {
            "status": self.status,
            "title": self.title,
            "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
            "errors": self.errors,
        }
        if instance:
            body["instance"] = instance
        return body

    def v2_body(self) -> list[dict[str, Any]]:
        """The V2 API's body: a list of `{status, message}` (a conflict also carries `title`,
        `type` and `errors`, as the V2 brands spec documents its 409)."""
        details = "; ".join(f"{k}: {v}" for k, v in self.errors.items())
        message = f"{self.title} ({details})" if details else self.title
        error: dict[str, Any] = {"status": self.status, "message": message}
        if self.status == 409:
            body = self.body()
            error.update({k: body[k] for k in ("title", "type", "errors")})
        return [error]


def not_found(what: str) -> ApiError:
    """404 for a missing record."""
    return ApiError(404, f"The {what} was not found.")


def invalid(field: str, message: str) -> ApiError:
    """422 naming one field."""
    return ApiError(422, f"The field '{field}' is invalid.", {field: message})


def conflict(field: str, message: str) -> ApiError:
    """409 naming one field."""
    return ApiError(409, message, {field: message})
