"""The catalog directory format: human-editable for small catalogs, fast for 100k products, and
diff-friendly. Field names are BigCommerce's; references are natural keys, never store IDs.

    catalog/
      products.jsonl      one product per line, sorted by SKU (fast; one changed price = one line)
      products/*.yaml     or one product per file (human-editable); both may be present
      categories.yaml     a list of {path: "Apparel/Shoes", ...fields}, sorted by path
      brands.yaml         a list of {name, ...fields}, sorted by name
      scripts.yaml        optional: a list of storefront scripts, sorted by name
      content/pages/*.yaml     optional: one web page per file
      content/blog/*.yaml      optional: one blog post per file (its tags among its fields)
      content/redirects.yaml   optional: a list of redirects, sorted by site and from path
      content/custom-templates.yaml  optional: custom template associations, by entity
      content/widget-templates/*.yaml  optional: one widget template per file, by name
      content/widgets.yaml     optional: widgets, by template and name
      content/placements.yaml  optional: placements, by template file, entity, region and order
      content/layouts/*.yaml   optional: one page's Page Builder layout per file

Writing is deterministic (sorted keys and items, integral floats written as integers), so writing an
unchanged catalog twice gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Any

import orjson
import yaml

from controller.catalog.kinds import FILED, KINDS, PERSONAL, Kind, KindSpec, written_conditions
from controller.catalog.model import (
    ASSOCIATED_KINDS,
    DEFAULT_CHANNEL,
    DEFAULT_CHANNEL_NAME,
    Catalog,
    CatalogInvalid,
    Image,
    Metafield,
    PageLayout,
    Placement,
    PriceList,
    PriceListAssignment,
    Problem,
    Product,
    ProductOption,
    Promotion,
    Redirect,
    TemplateAssociation,
    Variant,
    WebPage,
    Widget,
    bulk_allocation,
    channel_key,
    option_order,
)
from controller.catalog.parse import Item, build_catalog
from controller.text import did_you_mean

_PRODUCTS = KINDS[Kind.PRODUCTS]
assert _PRODUCTS.file is not None
PRODUCTS_JSONL = _PRODUCTS.file
PRODUCTS_DIR = _PRODUCTS.kind.value
MAX_FILE_BYTES = 512 * 1024 * 1024


def _directory(spec: KindSpec) -> str | None:
    """The directory of one YAML file per record, for kinds written one record per line and for
    kinds whose file is a directory (`content/pages/`)."""
    if spec.file is not None and spec.file.endswith("/"):
        return spec.file.rstrip("/")
    return spec.kind.value if spec.one_per_item else None


def file_names() -> tuple[str, ...]:
    """Every file of the format (and `products/` for one file per product), in plan order."""
    names: list[str] = []
    for spec in FILED:
        assert spec.file is not None
        names.append(spec.file)
        if spec.one_per_item and (directory := _directory(spec)) is not None:
            names.append(f"{directory}/")
    return tuple(names)


# ---- reading ---------------------------------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping and of each of its keys."""


_LINE, _KEY_LINES = "__line__", "__lines__"


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[_LINE] = node.start_mark.line + 1
    mapping[_KEY_LINES] = {
        key.value: key.start_mark.line + 1 for key, _ in node.value if isinstance(key.value, str)
    }
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k not in (_LINE, _KEY_LINES)}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _field_lines(
    value: Any, prefix: str = "", into: dict[str, int] | None = None
) -> dict[str, int]:
    """Field path (as problems name them: `variants[0].price`) -> line."""
    lines: dict[str, int] = {} if into is None else into
    if isinstance(value, dict):
        for key, line in value.get(_KEY_LINES, {}).items():
            path = f"{prefix}.{key}" if prefix else key
            lines[path] = line
            _field_lines(value[key], path, lines)
    elif isinstance(value, list):
        for index, element in enumerate(value):
            if isinstance(element, dict):
                lines[f"{prefix}[{index}]"] = element[_LINE]
                _field_lines(element, f"{prefix}[{index}]", lines)
    return lines


def _yaml_items(
    path: Path, label: str, problems: list[Problem], *, single: bool = False
) -> list[Item]:
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.append(
            Problem(
                f"not valid YAML: {getattr(error, 'problem', error)}",
                label,
                mark.line + 1 if mark else None,
            )
        )
        return []
    except UnicodeDecodeError:
        problems.append(Problem("not UTF-8 text", label))
        return []
    if loaded is None:
        return []
    if single:
        loaded = [loaded]
    if not isinstance(loaded, list):
        problems.append(Problem("expected a list of items", label, 1))
        return []
    items = []
    for index, raw in enumerate(loaded):
        line = raw.get(_LINE) if isinstance(raw, dict) else None
        items.append(
            Item(
                _strip_lines(raw),
                label,
                line if line is not None else index + 1,
                _field_lines(raw) if isinstance(raw, dict) else None,
            )
        )
    return items


def _jsonl_items(path: Path, label: str, problems: list[Problem]) -> Iterator[Item]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield Item(orjson.loads(line), label, number)
            except orjson.JSONDecodeError as error:
                problems.append(Problem(f"not valid JSON: {error}", label, number))


def _check_size(path: Path, label: str, problems: list[Problem]) -> bool:
    if path.stat().st_size > MAX_FILE_BYTES:
        problems.append(Problem(f"larger than {MAX_FILE_BYTES // 2**20} MiB", label))
        return False
    return True


_FORMAT = file_names()


def describe_format() -> str:
    """`brands.yaml, categories.yaml, products.jsonl, products/*.yaml or scripts.yaml`."""
    names = [f"{n}*.yaml" if n.endswith("/") else n for n in _FORMAT]
    return f"{', '.join(names[:-1])} or {names[-1]}"


def is_empty(catalog: Catalog) -> bool:
    """No products and no other kind managed (planning it with prune empties a store)."""
    return all(
        not spec.records(catalog) if spec.one_per_item else spec.records(catalog) is None
        for spec in FILED
    )


_PERSONAL = frozenset(str(kind) for kind in PERSONAL)


def _ignored(name: str) -> bool:
    """Hidden files and a directory's documentation are not catalog data, nor mistakes."""
    return name.startswith(".") or name.upper().startswith(("README", "LICENSE"))


def _unknown_entries(
    directory: Path, label: Callable[[str], str], prefix: str = ""
) -> list[Problem]:
    """Files and directories that are not part of the format (`product/` for `products/`): they
    would be silently ignored, so they are problems."""
    here = [n[len(prefix) :] for n in _FORMAT if n.startswith(prefix)]
    allowed = list(dict.fromkeys(n.split("/")[0] + ("/" if "/" in n else "") for n in here))
    problems = []
    for path in sorted(directory.iterdir()):
        name = path.name + ("/" if path.is_dir() else "")
        if _ignored(path.name):
            continue
        if not prefix and name.split(".")[0].rstrip("/") in _PERSONAL:
            problems.append(
                Problem(
                    f"{name.split('.')[0].rstrip('/')} are personal data: never part of a "
                    "catalog (a sandbox with cloneFrom gets them anonymised from its source)",
                    label(name),
                )
            )
        elif name not in allowed:
            hint = did_you_mean(name, allowed)
            problems.append(
                Problem(
                    f"not part of a catalog{hint or ''}: "
                    f"{prefix or 'a catalog'} holds {', '.join(allowed)}",
                    label(prefix + name),
                )
            )
        elif name.endswith("/") and prefix + name not in _FORMAT:  # a folder of kind files
            problems += _unknown_entries(path, label, prefix + name)
    for spec in FILED if not prefix else ():
        records = _directory(spec)
        if records is None or not (directory / records).is_dir():
            continue
        for path in sorted((directory / records).iterdir()):
            if _ignored(path.name) or (path.is_file() and path.suffix in (".yaml", ".yml")):
                continue
            kind = "directory" if path.is_dir() else "file"
            problems.append(
                Problem(
                    f"not part of a catalog: {records}/ holds one .yaml file per "
                    f"{spec.singular}, not a {kind}",
                    label(f"{records}/{path.name}"),
                )
            )
    return problems


def _read_kind(
    spec: KindSpec, directory: Path, label: Callable[[str], str], problems: list[Problem]
) -> list[Item] | None:
    """The items of one kind as written (None: no file of it, the kind is not managed)."""
    assert spec.file is not None
    path = directory / spec.file
    if spec.file.endswith("/"):  # one YAML file per record
        if not path.is_dir():
            return None
        items: list[Item] = []
        for one in sorted(path.glob("*.y*ml")):
            name = f"{spec.file}{one.name}"
            readable = one.suffix in (".yaml", ".yml") and one.is_file()
            if readable and _check_size(one, label(name), problems):
                items.extend(_yaml_items(one, label(name), problems, single=True))
        return items
    if not path.is_file():
        return None
    if not _check_size(path, label(spec.file), problems):
        return []
    return _yaml_items(path, label(spec.file), problems)


def _product_items(
    spec: KindSpec, directory: Path, label: Callable[[str], str], problems: list[Problem]
) -> Iterator[Item]:
    """products.jsonl, then products/*.yaml, read as the catalog is built: never all the items of
    100k products in memory at once."""
    assert spec.file is not None
    path = directory / spec.file
    if path.is_file() and _check_size(path, label(spec.file), problems):
        yield from _jsonl_items(path, label(spec.file), problems)
    records = directory / spec.kind.value
    if records.is_dir():
        for one in sorted(records.glob("*.y*ml")):
            if one.suffix not in (".yaml", ".yml") or not one.is_file():
                continue
            name = f"{spec.kind.value}/{one.name}"
            if _check_size(one, label(name), problems):
                yield from _yaml_items(one, label(name), problems, single=True)


def load_directory(directory: Path, *, label_root: str | None = None) -> Catalog:
    """Load and validate a catalog directory; `CatalogInvalid` lists every problem with its file,
    line and field. `label_root` names the directory in messages (e.g. the path in the repository)."""
    root = label_root if label_root is not None else str(directory)

    def label(name: str) -> str:
        return f"{root.rstrip('/')}/{name}" if root not in ("", ".") else name

    problems: list[Problem] = []
    if not directory.is_dir():
        raise CatalogInvalid([Problem("catalog directory does not exist", root)])
    problems += _unknown_entries(directory, label)
    items: dict[Kind, Iterable[Item] | None] = {}
    # the products' problems are found as the catalog is built, and told in file order
    products_at, product_problems = 0, list[Problem]()
    for spec in FILED:
        assert spec.file is not None
        if spec.kind is Kind.PRODUCTS:
            products_at = len(problems)
            items[spec.kind] = _product_items(spec, directory, label, product_problems)
        else:
            items[spec.kind] = _read_kind(spec, directory, label, problems)
    built: list[Problem] = []
    try:
        with bulk_allocation():
            catalog = build_catalog(items)
    except CatalogInvalid as invalid:
        built = invalid.problems
    problems[products_at:products_at] = product_problems
    problems += built
    if problems:
        raise CatalogInvalid(problems)
    return catalog


# ---- writing ---------------------------------------------------------------------------------------


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


def _ordered(
    item: Mapping[str, Any], first: tuple[str, ...], last: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Keys in a stable, readable order: `first`, the rest sorted, then `last`."""
    middle = sorted(k for k in item if k not in first and k not in last)
    return {k: item[k] for k in (*first, *middle, *last) if k in item}


def product_item(
    product: Product, category_paths: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A product as written in the files (`category_paths` maps path keys to display paths)."""
    item: dict[str, Any] = {"sku": product.sku, **_number(dict(product.fields))}
    if product.categories is not None:
        paths = category_paths or {}
        item["categories"] = sorted(paths.get(k, k) for k in product.categories)
    if product.brand is not None:
        item["brand"] = product.brand
    if product.channels is not None:
        item["channels"] = sorted(product.channels)
    if product.variants is not None:
        item["variants"] = [
            _variant_item(v) for v in sorted(product.variants, key=lambda v: v.sku.casefold())
        ]
    if product.custom_fields is not None:
        item["custom_fields"] = [{"name": n, "value": v} for n, v in product.custom_fields]
    if product.images is not None:
        item["images"] = [_image_item(i) for i in product.images]
    for attribute in ("options", "modifiers"):
        found = getattr(product, attribute)
        if found is not None:
            item[attribute] = [_option_item(o) for o in sorted(found, key=option_order)]
    if product.complex_rules is not None:
        item["complex_rules"] = [
            _ordered({**_number(dict(r.fields)), **written_conditions(r)}, (), ("conditions",))
            for r in sorted(product.complex_rules, key=lambda r: r.key.casefold())
        ]
    if product.bulk_pricing_rules is not None:
        item["bulk_pricing_rules"] = [
            _ordered(
                {"quantity_min": r.quantity_min, **_number(dict(r.fields))},
                ("quantity_min", "quantity_max"),
            )
            for r in sorted(product.bulk_pricing_rules, key=lambda r: r.quantity_min)
        ]
    if product.videos is not None:
        item["videos"] = [
            _ordered({"video_id": v.video_id, **_number(dict(v.fields))}, ("video_id",))
            for v in product.videos
        ]
    if product.reviews is not None:
        item["reviews"] = [
            _ordered(
                {"date_reviewed": r.date_reviewed, "title": r.title, **_number(dict(r.fields))},
                ("date_reviewed", "title"),
            )
            for r in product.reviews
        ]
    _add_metafields(item, product.metafields)
    return _ordered(
        item,
        ("sku", "name", "type"),
        (
            *("categories", "brand", "channels", "bulk_pricing_rules", "options", "modifiers"),
            *("complex_rules", "variants", "custom_fields", "images", "videos", "reviews"),
            "metafields",
        ),
    )


def _option_item(option: ProductOption) -> dict[str, Any]:
    """A variant option or modifier as written: display name, its fields, then its values."""
    item = {"display_name": option.display_name, **_number(dict(option.fields))}
    if not item.get("option_values", True):
        del item["option_values"]  # a text, date or file modifier has none
    if "option_values" in item:
        item["option_values"] = [
            _ordered(v, ("label",)) for v in _number(list(option.fields["option_values"]))
        ]
    return _ordered(item, ("display_name", "type"), ("option_values",))


def _add_metafields(item: dict[str, Any], metafields: tuple[Metafield, ...] | None) -> None:
    """An owner's metafields as written, sorted by namespace and key (absent: not managed)."""
    if metafields is not None:
        item["metafields"] = [
            _ordered({"namespace": m.namespace, "key": m.key, **m.fields}, ("namespace", "key"))
            for m in sorted(metafields, key=lambda m: (m.namespace, m.key))
        ]


def _variant_item(variant: Variant) -> dict[str, Any]:
    item = {
        "sku": variant.sku,
        **_number(dict(variant.fields)),
        "option_values": [
            {"option_display_name": o, "label": label} for o, label in variant.option_values
        ],
    }
    _add_metafields(item, variant.metafields)
    return _ordered(item, ("sku",), ("option_values", "metafields"))


def _image_item(image: Image) -> dict[str, Any] | str:
    if not image.is_thumbnail and not image.description:
        return image.image_url
    item: dict[str, Any] = {"image_url": image.image_url}
    if image.is_thumbnail:
        item["is_thumbnail"] = True
    if image.description:
        item["description"] = image.description
    return item


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    )


_Dumper.add_representer(str, _str)


def _yaml(value: Any) -> str:
    return yaml.dump(
        value,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def record_item(spec: KindSpec, record: Any) -> dict[str, Any]:
    """A record of a kind keyed by one field (category, brand, script) as written in its file."""
    item = {spec.key: getattr(record, spec.key), **_number(dict(record.fields))}
    _add_metafields(item, getattr(record, "metafields", None))
    return _ordered(item, (spec.key,), ("metafields",))


def render(catalog: Catalog, *, layout: str = "jsonl") -> dict[str, str]:
    """File name -> exact content of the catalog's files (`layout` jsonl or yaml for products)."""
    return {name: "".join(text()) for name, text in _contents(catalog, layout).items()}


def _contents(catalog: Catalog, layout: str) -> dict[str, Callable[[], Iterable[str]]]:
    """File name -> its content in pieces, made when asked (products.jsonl line by line: a digest
    of 100k products never holds their text at once)."""
    if layout not in ("jsonl", "yaml"):
        raise ValueError(f"unknown layout {layout!r}: jsonl or yaml")
    files: dict[str, Callable[[], Iterable[str]]] = {}
    paths = {k: c.key for k, c in (catalog.categories or {}).items()}
    for spec in FILED:
        assert spec.file is not None
        records = spec.records(catalog)
        if records is None:
            continue
        if spec.kind is Kind.PAGE_LAYOUTS:
            files.update(
                (f"{spec.file}{name}.yaml", partial(_one_yaml, layout_item, page_layout))
                for name, page_layout in url_files(records, attrgetter("key")).items()
            )
            continue
        if spec.kind is Kind.PAGES:
            files.update(
                (f"{spec.file}{name}.yaml", partial(_one_yaml, page_item, page))
                for name, page in page_files(records).items()
            )
            continue
        if spec.file.endswith("/"):  # one file per record, named after its key
            files.update(
                (f"{spec.file}{name}.yaml", partial(_one_yaml, partial(record_item, spec), record))
                for name, record in url_files(records, attrgetter(spec.key)).items()
            )
            continue
        if not spec.one_per_item:
            write = _WRITERS.get(spec.kind, partial(record_item, spec))
            files[spec.file] = partial(_yaml_list, write, records)
            continue
        if layout == "jsonl":
            files[spec.file] = partial(_jsonl, records, paths)
        else:
            for _, product in sorted(records.items()):
                files[f"{spec.kind.value}/{file_name(product.sku)}.yaml"] = partial(
                    _one_yaml, partial(product_item, category_paths=paths), product
                )
    return files


def _one_yaml(write: Callable[[Any], Any], record: Any) -> Iterable[str]:
    return (_yaml(write(record)),)


def _yaml_list(write: Callable[[Any], Any], records: Mapping[str, Any]) -> Iterable[str]:
    return (_yaml([write(r) for _, r in sorted(records.items())]),)


def _jsonl(products: Mapping[str, Product], paths: Mapping[str, str]) -> Iterator[str]:
    for _, product in sorted(products.items()):
        yield orjson.dumps(product_item(product, paths)).decode() + "\n"


def page_item(page: WebPage) -> dict[str, Any]:
    """A web page as written in its file."""
    identity = {"link": page.url} if page.fields.get("type") == "link" else {"url": page.url}
    item = {**identity, **_number(dict(page.fields))}
    if page.parent:  # a URL of the page's own channel
        item["parent"] = page.parent.removeprefix(channel_key("", page.fields))
    return _ordered(item, ("url", "link", "name", "type", "parent"), ("body",))


def redirect_item(redirect: Redirect) -> dict[str, Any]:
    """A redirect as written: its path, its site's channel when not the first storefront, and
    its target."""
    item: dict[str, Any] = {"from_path": redirect.from_path}
    if redirect.fields.get("channel"):
        item["channel"] = redirect.fields["channel"]
    for target in ("to_product", "to_category", "to_brand", "to_page", "to_post"):
        if getattr(redirect, target):
            item[target] = getattr(redirect, target)
    if redirect.fields.get("to_url"):
        item["to_url"] = redirect.fields["to_url"]
    return item


def _page_base(page: WebPage) -> str:
    link = page.fields.get("type") == "link"
    base = _safe_name(re.sub(r"^[a-z]+://", "", page.url) if link else page.url)
    if link:
        base = f"link-{base}"
    channel = page.fields.get("channel")
    return f"channel-{_safe_name(channel)}-{base}" if channel else base


def association_item(association: TemplateAssociation) -> dict[str, Any]:
    """A custom template association as written: its entity, file, and channel when not the
    first."""
    kind = association.entity_type
    item: dict[str, Any] = {kind: getattr(association, kind)}
    item["file_name"] = association.fields.get("file_name", "")
    channel = association.fields.get("channel_id", DEFAULT_CHANNEL)
    if channel != DEFAULT_CHANNEL:
        item["channel_id"] = channel
    return item


def widget_item(widget: Widget) -> dict[str, Any]:
    """A widget as written: its template's name, its name, its fields (its channel when not the
    first), the configuration last."""
    values = {k: v for k, v in widget.fields.items() if k != "channel_id" or v != DEFAULT_CHANNEL}
    item = {"template": widget.template, "name": widget.name, **_number(values)}
    return _ordered(item, ("template", "name"), ("widget_configuration",))


def placement_item(placement: Placement) -> dict[str, Any]:
    """A placement as written: its widget, where it is (template file, record, region, order),
    its status, and its channel when not the first."""
    kind, entity = placement.entity
    values = dict(placement.fields)
    if values.get("channel_id") == DEFAULT_CHANNEL:
        del values["channel_id"]
    item = {"widget": placement.widget, **values, **({kind: entity} if kind else {})}
    first = ("widget", "template_file", *ASSOCIATED_KINDS, "region", "sort_order", "status")
    return _ordered(item, first)


def layout_item(layout: PageLayout) -> dict[str, Any]:
    """A Page Builder layout as written: its template file, record, channel when not the first,
    and its regions as they are."""
    kind, entity = layout.entity
    values = {k: v for k, v in layout.fields.items() if k != "regions"}
    if values.get("channel_id") == DEFAULT_CHANNEL:
        del values["channel_id"]
    item = {**_number(values), **({kind: entity} if kind else {})}
    return {
        **_ordered(item, ("template_file", *ASSOCIATED_KINDS)),
        "regions": layout.fields["regions"],
    }


TIERS = "bulk_pricing_tiers"


def price_list_item(price_list: PriceList) -> dict[str, Any]:
    """A price list as written, its records sorted by currency and SKU (a record's bulk pricing
    tiers last, none written when it has none)."""
    item = record_item(KINDS[Kind.PRICE_LISTS], price_list)
    if price_list.records is not None:
        item["records"] = [
            _ordered(
                {
                    "sku": r.sku,
                    "currency": r.currency,
                    **_number({k: v for k, v in r.fields.items() if v != [] or k != TIERS}),
                },
                ("sku", "currency"),
                (TIERS,),
            )
            for r in sorted(price_list.records, key=lambda r: r.key.casefold())
        ]
    return item


def assignment_item(assignment: PriceListAssignment) -> dict[str, Any]:
    """A price list assignment as written: its price list, its customer group when it has one,
    its channel when not the first."""
    item: dict[str, Any] = {"price_list": assignment.price_list}
    if assignment.customer_group:
        item["customer_group"] = assignment.customer_group
    if assignment.channel != DEFAULT_CHANNEL_NAME:
        item["channel"] = assignment.channel
    return item


def promotion_item(promotion: Promotion) -> dict[str, Any]:
    """A promotion as written: its name and type first, its rules and coupon codes (by code)
    last."""
    item = _ordered(
        {"name": promotion.name, **_number(dict(promotion.fields))},
        ("name", "redemption_type", "coupon_type"),
        ("rules",),
    )
    if promotion.codes is not None:
        item["codes"] = [
            _ordered({"code": c.code, **_number(dict(c.fields))}, ("code",))
            for c in sorted(promotion.codes, key=lambda c: c.code)
        ]
    return item


_WRITERS: dict[Kind, Callable[[Any], dict[str, Any]]] = {
    Kind.PRICE_LISTS: price_list_item,
    Kind.PROMOTIONS: promotion_item,
    Kind.PRICE_LIST_ASSIGNMENTS: assignment_item,
    Kind.REDIRECTS: redirect_item,
    Kind.TEMPLATE_ASSOCIATIONS: association_item,
    Kind.WIDGETS: widget_item,
    Kind.PLACEMENTS: placement_item,
}


def item_of(spec: KindSpec, record: Any, paths: Mapping[str, str]) -> dict[str, Any]:
    """One record of a top-level kind as written in its file or in an inline catalog (`paths`:
    category paths by folded key, for the products' categories)."""
    if spec.one_per_item:
        return product_item(record, paths)
    if spec.kind is Kind.PAGES:
        return page_item(record)
    return _WRITERS.get(spec.kind, partial(record_item, spec))(record)


def page_files(pages: Mapping[str, WebPage]) -> dict[str, WebPage]:
    """File name (without .yaml) -> page: the URL's path as a name (`about-us`, `home` for /),
    `link-` and the link for a link page, `channel-N-` first on another channel."""
    return url_files(pages, _page_base)


def url_files(records: Mapping[str, Any], base: Callable[[Any], str]) -> dict[str, Any]:
    """File name (without .yaml) -> record, from a name for each record (a URL's path as a
    name): a name that two records would share without case gets a digest of the record's key."""
    bases = {key: _safe_name(base(record)) for key, record in records.items()}
    shared = Counter(name.casefold() for name in bases.values())
    out: dict[str, Any] = {}
    for key, record in records.items():
        name = bases[key]
        if shared[name.casefold()] > 1:
            name = f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
        out[name] = record
    return dict(sorted(out.items()))


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip("/")).strip("-.") or "home"


def file_name(sku: str) -> str:
    """A file name for a SKU that is safe on every file system and unique without case."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", sku).strip("._") or "product"
    if safe != sku:
        safe = f"{safe}-{hashlib.sha256(sku.encode()).hexdigest()[:8]}"
    return safe


def detect_layout(directory: Path) -> str:
    """The products layout a directory already uses (jsonl when it has none)."""
    return (
        "yaml"
        if (directory / PRODUCTS_DIR).is_dir() and not (directory / PRODUCTS_JSONL).exists()
        else "jsonl"
    )


def write_directory(catalog: Catalog, directory: Path, *, layout: str | None = None) -> list[str]:
    """Write the catalog's files into `directory`, removing product files it no longer has;
    returns the names written. Files that are not part of the format are left alone."""
    layout = layout or detect_layout(directory)
    files = render(catalog, layout=layout)
    directory.mkdir(parents=True, exist_ok=True)
    stale = [n for n in _FORMAT if not n.endswith("/") and (directory / n).exists()]
    for records in filter(None, map(_directory, FILED)):
        if (directory / records).is_dir():
            stale += [f"{records}/{p.name}" for p in (directory / records).glob("*.y*ml")]
    for name in stale:
        if name not in files:
            (directory / name).unlink()
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return sorted(files)


def digest(catalog: Catalog) -> str:
    """sha256 of the normalised content: equal catalogs have equal digests, whatever their layout."""
    hasher = hashlib.sha256()
    for name, text in sorted(_contents(catalog, "jsonl").items()):
        hasher.update(name.encode() + b"\0")
        for piece in text():
            hasher.update(piece.encode())
        hasher.update(b"\0")
    return "sha256:" + hasher.hexdigest()
