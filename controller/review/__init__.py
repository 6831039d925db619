"""Review pages of plans, for the people who approve them: Markdown (pull requests, CI summaries)
and self-contained HTML (`stagingpro plan --output html`, the operator's web UI)."""

from controller.review.markdown import render_markdown
from controller.review.model import Currency, Entry, Review, Row, build_review, local_time
from controller.review.page import STYLE, document, pages_nav, render_html, review_body

__all__ = [
    "STYLE",
    "Currency",
    "Entry",
    "Review",
    "Row",
    "build_review",
    "document",
    "local_time",
    "pages_nav",
    "render_html",
    "render_markdown",
    "review_body",
]
