"""Blog posts and tags (v2): `/v2/blog/posts`, `/v2/blog/posts/{id}`, `/v2/blog/posts/count` and
`/v2/blog/tags` (bare JSON arrays and objects, as v2 answers; post URLs unique)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from controller.catalog import fields
from controller.emulator.database import dumps, slug
from controller.emulator.errors import ApiError, conflict, invalid
from controller.emulator.fields import clean
from controller.emulator.resources.base import (
    Call,
    Resource,
    Route,
    json_response,
    no_content,
    paging,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS blog_posts (store TEXT, id INTEGER, url TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS blog_posts_url ON blog_posts (store, url);
"""
TABLES = ("blog_posts",)

DEFAULTS: dict[str, Any] = {
    "tags": [],
    "is_published": False,
    "meta_description": "",
    "meta_keywords": "",
    "author": "",
    "thumbnail_path": "",
}
_LIST_PARAMS = frozenset({"is_published", "url", "tag", "published_date", "page", "limit"})


def _published(raw: Any) -> str:
    """A written `published_date` (RFC 2822, as the API asks) as stored ISO 8601 in UTC."""
    try:
        moment = parsedate_to_datetime(raw) if isinstance(raw, str) else None
    except (TypeError, ValueError):
        moment = None
    if moment is None:
        raise invalid("published_date", "published_date must be an RFC 2822 date")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


class Blog(Resource):
    """The blog posts of one store."""

    def render(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A stored post in the API's shape (dates as v2 writes them; summary from the body)."""
        out = {k: v for k, v in doc.items() if k != "published"}
        when = datetime.fromisoformat(doc["published"])
        out["published_date"] = {
            "timezone_type": 1,
            "date": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "timezone": "+00:00",
        }
        out["published_date_iso8601"] = when.isoformat()
        out["preview_url"] = doc["url"]
        paragraph = re.search(r"<p>.*?</p>", doc["body"], re.S)
        out["summary"] = paragraph.group(0) if paragraph else doc["body"][:200]
        return out

    def doc(self, post_id: int) -> dict[str, Any]:
        """One stored post (404 when missing)."""
        docs = self.docs("SELECT doc FROM blog_posts WHERE store=? AND id=?", self.hash, post_id)
        if not docs:
            raise ApiError(404, "The requested blog post was not found.")
        return docs[0]

    def _values(self, body: Any, *, create: bool) -> dict[str, Any]:
        values = clean(
            body,
            {k: v for k, v in fields.BLOG_POST.items() if k != "published_date"},
            required=("title", "body") if create else (),
        )
        if "tags" in values and not all(isinstance(t, str) for t in values["tags"]):
            raise invalid("tags", "tags must be a list of texts")
        if isinstance(body, dict) and body.get("published_date") is not None:
            values["published"] = _published(body["published_date"])
        return values

    def _unique(self, doc: dict[str, Any]) -> None:
        if not doc["url"].startswith("/"):
            raise invalid("url", "url must be a path starting with /")
        taken = self.one(
            "SELECT id FROM blog_posts WHERE store=? AND url=? AND id<>?",
            self.hash,
            doc["url"],
            doc["id"],
        )
        if taken is not None:
            raise conflict("url", f"The blog post URL {doc['url']!r} is already in use.")

    def create(self, body: Any) -> dict[str, Any]:
        """`POST /blog/posts`: a draft unless published; its URL from the title unless given."""
        with self.tx():
            values = self._values(body, create=True)
            doc = {**DEFAULTS, **values, "id": self.next_id("blog_post")}
            doc.setdefault("url", f"/blog/{slug(doc['title'])}/")
            doc.setdefault("published", datetime.now(UTC).replace(microsecond=0).isoformat())
            self._unique(doc)
            self.execute(
                "INSERT INTO blog_posts VALUES (?, ?, ?, ?)",
                self.hash,
                doc["id"],
                doc["url"],
                dumps(doc),
            )
            return self.render(doc)

    def update(self, post_id: int, body: Any) -> dict[str, Any]:
        """`PUT /blog/posts/{id}`."""
        with self.tx():
            doc = self.doc(post_id)
            doc.update(self._values(body, create=False))
            self._unique(doc)
            self.execute(
                "UPDATE blog_posts SET doc=?, url=? WHERE store=? AND id=?",
                dumps(doc),
                doc["url"],
                self.hash,
                post_id,
            )
            return self.render(doc)

    def find(self, query: dict[str, str]) -> list[dict[str, Any]]:
        """`GET /blog/posts`: newest first, filtered, one page."""
        page, limit = paging(query)
        docs = self.docs(
            "SELECT doc FROM blog_posts WHERE store=? "
            "ORDER BY json_extract(doc, '$.published') DESC, id DESC",
            self.hash,
        )
        if "is_published" in query:
            wanted = query["is_published"].lower() in ("true", "1")
            docs = [d for d in docs if d["is_published"] is wanted]
        if "url" in query:
            docs = [d for d in docs if d["url"] == query["url"]]
        if "tag" in query:
            docs = [d for d in docs if query["tag"] in d["tags"]]
        if "published_date" in query:
            day = query["published_date"][:10]
            docs = [d for d in docs if d["published"][:10] == day]
        return [self.render(d) for d in docs[(page - 1) * limit : page * limit]]

    def delete(self, post_id: int) -> None:
        """`DELETE /blog/posts/{id}`."""
        with self.tx():
            self.doc(post_id)
            self.execute("DELETE FROM blog_posts WHERE store=? AND id=?", self.hash, post_id)

    def delete_page(self, query: dict[str, str]) -> None:
        """`DELETE /blog/posts`: the posts of one page of the list."""
        posts = self.find({k: v for k, v in query.items() if k in ("page", "limit")})
        with self.tx():
            for post in posts:
                self.execute("DELETE FROM blog_posts WHERE store=? AND id=?", self.hash, post["id"])

    def count(self) -> int:
        """`GET /blog/posts/count`."""
        return int(self.one("SELECT COUNT(*) FROM blog_posts WHERE store=?", self.hash))

    def tags(self) -> list[dict[str, Any]]:
        """`GET /blog/tags`: every tag with the posts carrying it."""
        found: dict[str, list[int]] = {}
        for doc in self.docs("SELECT doc FROM blog_posts WHERE store=? ORDER BY id", self.hash):
            for tag in doc["tags"]:
                found.setdefault(tag, []).append(doc["id"])
        return [{"tag": tag, "post_ids": ids} for tag, ids in sorted(found.items())]


# ---- HTTP -----------------------------------------------------------------------------------------


async def list_posts(call: Call) -> Any:
    return json_response(await call.run(call.store.blog.find, dict(call.query)))


async def create_post(call: Call) -> Any:
    body = await call.body()
    return json_response(await call.run(call.store.blog.create, body))


async def delete_posts(call: Call) -> Any:
    await call.run(call.store.blog.delete_page, dict(call.query))
    return no_content()


async def count_posts(call: Call) -> Any:
    return json_response({"count": await call.run(call.store.blog.count)})


async def get_post(call: Call) -> Any:
    return json_response(
        await call.run(lambda: call.store.blog.render(call.store.blog.doc(call.int("id"))))
    )


async def update_post(call: Call) -> Any:
    body = await call.body()
    return json_response(await call.run(call.store.blog.update, call.int("id"), body))


async def delete_post(call: Call) -> Any:
    await call.run(call.store.blog.delete, call.int("id"))
    return no_content()


async def list_tags(call: Call) -> Any:
    return json_response(await call.run(call.store.blog.tags))


ROUTES = [
    Route("GET", "/v2/blog/tags", list_tags),
    Route("GET", "/v2/blog/posts", list_posts, extra=_LIST_PARAMS),
    Route("POST", "/v2/blog/posts", create_post),
    Route("DELETE", "/v2/blog/posts", delete_posts, extra=frozenset({"page", "limit"})),
    Route("GET", "/v2/blog/posts/count", count_posts),
    Route("GET", "/v2/blog/posts/{id}", get_post),
    Route("PUT", "/v2/blog/posts/{id}", update_post),
    Route("DELETE", "/v2/blog/posts/{id}", delete_post),
]
