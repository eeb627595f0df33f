"""Rendering: workspace records → Notion's JSON for users, pages, properties, data sources and
databases (page objects straight to text, see `RawJson`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.protocol import (
    _TIMESTAMPS,
    PEOPLE_LIMIT,
    RELATION_LIMIT,
    TEXT_CONTENT_LIMIT,
    RawJson,
    _dumps,
    _iso,
    _nodash,
    _quote,
)
from sandbox.records import (
    Database,
    DataSource,
    DateValue,
    Link,
    Option,
    Page,
    PropertySchema,
    User,
    UserMention,
    plain_text,
)
from sandbox.workspace import Workspace

if TYPE_CHECKING:
    from sandbox.server import Sandbox


#: Notion's default annotations, filled into every rich-text item it returns.
DEFAULT_ANNOTATIONS = {
    "bold": False,
    "italic": False,
    "strikethrough": False,
    "underline": False,
    "code": False,
    "color": "default",
}

_WORD = re.compile(r"[A-Za-z0-9]+")


PropertyRenderer = Callable[[Page], str]


_ANNOTATIONS_JSON = _dumps(DEFAULT_ANNOTATIONS)
_NULL_RICH_TEXT = "[]"


class _Renderer:
    """Workspace records → Notion JSON. Shared fragments (users, options, keys) are built once."""

    def __init__(self, workspace: Workspace, sandbox: Sandbox) -> None:
        self.workspace = workspace
        self.sandbox = sandbox
        self._users: dict[tuple[str, bool], str] = {}
        self._options: dict[tuple[int, str], str] = {}
        self._plans: dict[str, list[tuple[str, PropertySchema, PropertyRenderer]]] = {}
        self._texts: dict[str, str] = {}
        self._slugs: dict[str, str] = {}

    # users

    def user(self, user_id: str, *, full: bool | None = None) -> str:
        """A user object: full when the integration may read users, else `{object, id}`."""
        if full is None:
            full = self.sandbox.integration_can_read_users
        cached = self._users.get((user_id, full))
        if cached is None:
            user = self.workspace.user(user_id)
            fields: dict[str, Any] = {"object": "user", "id": user_id}
            if full and user is not None:
                fields.update(self._user_fields(user))
            cached = self._users[(user_id, full)] = _dumps(fields)
        return cached

    def user_dict(self, user_id: str, *, full: bool | None = None) -> dict[str, Any]:
        return json.loads(self.user(user_id, full=full))

    def _user_fields(self, user: User) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "name": user.name,
            "avatar_url": user.avatar_url,
            "type": user.type,
        }
        if user.type == "person":
            fields["person"] = {"email": user.email}
        else:
            fields["bot"] = {
                "owner": {"type": "workspace", "workspace": True},
                "workspace_name": self.workspace.name,
            }
        return fields

    def bot_user(self) -> dict[str, Any]:
        """`GET /v1/users/me`: the integration's bot, always fully visible to itself."""
        result = self.user_dict(self.workspace.bot.id, full=True)
        result["bot"]["workspace_limits"] = {"max_file_upload_size_in_bytes": 5_368_709_120}
        return result

    # rich text

    def rich_text(self, value: Any) -> str:
        """A JSON array of rich text objects; text over 2,000 characters is split as Notion does."""
        if not value:
            return _NULL_RICH_TEXT
        if isinstance(value, str):
            cached = self._texts.get(value)
            if cached is None:
                cached = "[" + self._text_objects(value, None) + "]"
                if len(self._texts) < 50_000:
                    self._texts[value] = cached
            return cached
        parts = []
        for segment in value:
            if isinstance(segment, str):
                parts.append(self._text_objects(segment, None))
            elif isinstance(segment, Link):
                parts.append(self._text_objects(segment.text, segment.url))
            elif isinstance(segment, UserMention):
                parts.append(self._mention(segment.user_id))
        return "[" + ",".join(p for p in parts if p) + "]"

    def rich_text_items(self, value: Any) -> list[dict[str, Any]]:
        return json.loads(self.rich_text(value))

    @staticmethod
    def _text_objects(content: str, url: str | None) -> str:
        link, href = (f'{{"url":{_quote(url)}}}', _quote(url)) if url else ("null", "null")
        return ",".join(
            f'{{"type":"text","text":{{"content":{quoted},"link":{link}}},'
            f'"annotations":{_ANNOTATIONS_JSON},"plain_text":{quoted},"href":{href}}}'
            for quoted in (
                _quote(content[i : i + TEXT_CONTENT_LIMIT])
                for i in range(0, len(content), TEXT_CONTENT_LIMIT)
            )
        )

    def _mention(self, user_id: str) -> str:
        user = self.workspace.user(user_id)
        visible = self.sandbox.integration_can_read_users and user is not None
        name = user.name if visible and user is not None else "Anonymous"
        return (
            f'{{"type":"mention","mention":{{"type":"user","user":{self.user(user_id)}}},'
            f'"annotations":{_ANNOTATIONS_JSON},"plain_text":{_quote("@" + name)},"href":null}}'
        )

    # pages

    def option(self, schema: PropertySchema, name: str) -> str:
        cached = self._options.get((id(schema), name))
        if cached is None:
            option = schema.option(name)
            cached = _dumps(
                {
                    "id": option.id if option else name,
                    "name": name,
                    "color": option.color if option else "default",
                }
            )
            self._options[(id(schema), name)] = cached
        return cached

    def _plan(self, data_source: DataSource) -> list[tuple[str, PropertySchema, PropertyRenderer]]:
        """Per property: the JSON text up to its value, and a function rendering the value.

        Built once per data source so rendering a page is one closure call per property.
        """
        plan = self._plans.get(data_source.id)
        if plan is None or len(plan) != len(data_source.properties):
            plan = [
                (
                    f'{_quote(s.name)}:{{"id":{_quote(s.id)},"type":"{s.type}","{s.type}":',
                    s,
                    self._value_renderer(s),
                )
                for s in data_source.properties.values()
            ]
            self._plans[data_source.id] = plan
        return plan

    def _value_renderer(self, schema: PropertySchema) -> PropertyRenderer:
        kind, name = schema.type, schema.name
        if kind in ("title", "rich_text"):
            return lambda page: self.rich_text(page.values.get(name))
        if kind in ("select", "status"):
            return lambda page: self.option(schema, v) if (v := page.values.get(name)) else "null"
        if kind == "multi_select":
            return lambda page: (
                "[" + ",".join([self.option(schema, n) for n in page.values.get(name, ())]) + "]"
            )
        if kind == "people":
            return lambda page: (
                "["
                + ",".join([self.user(u) for u in page.values.get(name, ())[:PEOPLE_LIMIT]])
                + "]"
            )
        if kind == "relation":
            return lambda page: _relation_json(page.values.get(name, ()))
        if kind == "number":
            return lambda page: _number_text(page.values.get(name))
        if kind == "date":
            return lambda page: _date_text(page.values.get(name))
        if kind == "unique_id":
            prefix = f'{{"prefix":{_dumps(schema.prefix)},"number":'
            return lambda page: f"{prefix}{_number_text(page.unique_number)}}}"
        if kind == "created_by":
            return lambda page: self.user(page.created_by)
        if kind == "last_edited_by":
            return lambda page: self.user(page.last_edited_by)
        if kind in _TIMESTAMPS:
            return lambda page: f'"{_iso(getattr(page, kind))}"'
        return lambda page: _dumps(page.values.get(name))

    def property_dict(self, schema: PropertySchema, page: Page) -> dict[str, Any]:
        """`{"id", "type", <type>: value}` of one property (the property-item endpoint)."""
        data_source = self.workspace.data_sources[page.data_source_id]
        for prefix, candidate, render in self._plan(data_source):
            if candidate is schema:
                return json.loads("{" + prefix + render(page) + "}}")[schema.name]
        raise KeyError(schema.name)

    def page(self, page: Page, only: set[str] | None = None) -> RawJson:
        """A page object as `GET /v1/pages/{id}` and queries return it."""
        data_source = self.workspace.data_sources[page.data_source_id]
        properties = ",".join(
            [
                prefix + render(page) + "}"
                for prefix, schema, render in self._plan(data_source)
                if only is None or schema.name in only
            ]
        )
        title = page.values.get(data_source.title_property.name)
        trashed = "true" if page.in_trash else "false"
        return RawJson(
            f'{{"object":"page","id":"{page.id}","created_time":"{_iso(page.created_time)}",'
            f'"last_edited_time":"{_iso(page.last_edited_time)}",'
            f'"created_by":{{"object":"user","id":"{page.created_by}"}},'
            f'"last_edited_by":{{"object":"user","id":"{page.last_edited_by}"}},'
            f'"cover":null,"icon":null,"parent":{{"type":"data_source_id",'
            f'"data_source_id":"{data_source.id}","database_id":"{data_source.database_id}"}},'
            f'"archived":{trashed},"in_trash":{trashed},"is_archived":{trashed},'
            f'"is_locked":false,'
            f'"properties":{{{properties}}},'
            f'"url":"https://www.notion.so/{self._slug(title)}{_nodash(page.id)}",'
            f'"public_url":null}}'
        )

    @staticmethod
    def partial_page(page: Page) -> RawJson:
        """A partial page object, as Notion may put in query results: only `object` and `id`."""
        return RawJson(f'{{"object":"page","id":"{page.id}"}}')

    def _slug(self, title: Any) -> str:
        """`Fix-login-bug-` for Notion's page URLs (ASCII words of the title), or ``."""
        text = plain_text(title)
        slug = self._slugs.get(text)
        if slug is None:
            words = "-".join(_WORD.findall(text))[:80].strip("-")
            slug = f"{words}-" if words else ""
            if len(self._slugs) < 50_000:
                self._slugs[text] = slug
        return slug

    # schemas

    def schema(self, schema: PropertySchema) -> dict[str, Any]:
        """A property of a data source's schema (`properties` of `GET /v1/data_sources/{id}`)."""
        kind = schema.type
        config: dict[str, Any] = {}
        if kind == "number":
            config = {"format": schema.number_format}
        elif kind in ("select", "multi_select", "status"):
            config = {"options": [_option_json(o) for o in schema.options]}
            if kind == "status":
                ids = {o.name: o.id for o in schema.options}
                config["groups"] = [
                    {
                        "id": g.id,
                        "name": g.name,
                        "color": g.color,
                        "option_ids": [ids[n] for n in g.option_names if n in ids],
                    }
                    for g in schema.groups
                ]
        elif kind == "relation":
            config = {
                "database_id": schema.relation_database_id,
                "data_source_id": schema.relation_data_source_id,
                "type": "single_property",
                "single_property": {},
            }
        elif kind == "unique_id":
            config = {"prefix": schema.prefix}
        return {
            "id": schema.id,
            "name": schema.name,
            "description": schema.description,
            "type": kind,
            kind: config,
        }

    def data_source(self, data_source: DataSource) -> dict[str, Any]:
        database = self.workspace.databases[data_source.database_id]
        return {
            "object": "data_source",
            "id": data_source.id,
            "created_time": _iso(data_source.created_time),
            "last_edited_time": _iso(data_source.last_edited_time),
            "created_by": {"object": "user", "id": data_source.created_by},
            "last_edited_by": {"object": "user", "id": data_source.created_by},
            "title": self.rich_text_items(data_source.title),
            "description": [],
            "icon": None,
            "cover": None,
            "properties": {n: self.schema(s) for n, s in data_source.properties.items()},
            "parent": {"type": "database_id", "database_id": database.id},
            "database_parent": {"type": "page_id", "page_id": database.parent_page_id},
            "is_inline": False,
            "archived": False,
            "in_trash": False,
            "url": f"https://www.notion.so/{_nodash(database.id)}",
            "public_url": None,
        }

    def database(self, database: Database) -> dict[str, Any]:
        return {
            "object": "database",
            "id": database.id,
            "created_time": _iso(database.created_time),
            "last_edited_time": _iso(database.last_edited_time),
            "created_by": {"object": "user", "id": database.created_by},
            "last_edited_by": {"object": "user", "id": database.created_by},
            "title": self.rich_text_items(database.title),
            "description": self.rich_text_items(database.description),
            "icon": None,
            "cover": None,
            "parent": {"type": "page_id", "page_id": database.parent_page_id},
            "is_inline": False,
            "in_trash": False,
            "archived": False,
            "is_locked": False,
            "data_sources": [
                {"id": ds_id, "name": self.workspace.data_sources[ds_id].title}
                for ds_id in database.data_source_ids
            ],
            "url": f"https://www.notion.so/{_nodash(database.id)}",
            "public_url": None,
        }


def _option_json(option: Option) -> dict[str, Any]:
    return {
        "id": option.id,
        "name": option.name,
        "color": option.color,
        "description": option.description,
    }


def _relation_json(related: tuple[str, ...]) -> str:
    """At most 25 items, then `has_more` (which closes the property object's value)."""
    items = ",".join([f'{{"id":"{page_id}"}}' for page_id in related[:RELATION_LIMIT]])
    return f'[{items}],"has_more":{"true" if len(related) > RELATION_LIMIT else "false"}'


def _number_text(value: float | None) -> str:
    return "null" if value is None else _dumps(value) if isinstance(value, float) else str(value)


def _date_text(value: DateValue | None) -> str:
    if value is None:
        return "null"
    end = _quote(value.end) if value.end else "null"
    zone = _quote(value.time_zone) if value.time_zone else "null"
    return f'{{"start":{_quote(value.start)},"end":{end},"time_zone":{zone}}}'
