"""Desired catalog + observed store -> plan. Pure: no I/O, no clock, no randomness.

A plan is data: typed changes bound to a kind, ordered by the kind table (referenced kinds and owners
before the kinds that need them, trees parents first; deletes last, in reverse order), each with its
natural key, the field-level changes, and what the apply needs (store ids, payloads still in natural
keys, resolved at apply time). One diff serves every kind (`_Planner._diff`). Drift is the same
computation read the other way: missing = create, extra = delete, changed = update.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.catalog.kinds import (
    EXACT,
    KINDS,
    RANK,
    TOP_LEVEL,
    Action,
    Desired,
    Found,
    FoundIndex,
    Kind,
    KindSpec,
    Reference,
    children,
    found_all,
)
from controller.catalog.model import (
    DEFAULT_CHANNEL,
    DEFAULT_CHANNEL_NAME,
    Catalog,
    bulk_allocation,
)
from controller.catalog.observed import ObservedCatalog

MAX_SAMPLES = 20
PLAN_FORMAT_VERSION = 1
STORE_WIDE = "(store)"  # how plans and status name the changes that belong to no channel


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field's value in the store (`before`) and in the desired catalog (`after`); `channel`:
    the channel whose assignments it changes (a product's categories in that channel's tree, or
    whether it is sold there), None for a store-wide field."""

    field: str
    before: Any
    after: Any
    channel: str | None = None


RENAMED_VALUE = "renamed value"  # a plan's change of a value renamed in place (label to label)


@dataclass(frozen=True, slots=True)
class Step:
    """One planned change of one record of a kind. `key` is the natural key as shown (an owned
    record's is its owner's key, the kind's separator and its own); `id` the store id of an existing
    record; `owner_key` the folded natural key of the owner of an owned record; `depth` its depth in
    its kind's tree."""

    kind: Kind
    action: Action
    key: str
    changes: tuple[FieldChange, ...] = ()
    id: int | str | None = None
    owner_key: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    depth: int = 0
    name: str = ""  # an owned record's own natural key ("" when it is `key`)
    channel: str | None = None  # the channel the record belongs to (None: a store-wide record)

    def fields(self) -> list[str]:
        """Names of the changed fields."""
        return [c.field for c in self.changes]

    def channels(self) -> list[str]:
        """The channels the change belongs to (`STORE_WIDE` for store-wide records and fields)."""
        if self.channel is not None:
            return [self.channel]
        found = [c.channel or STORE_WIDE for c in self.changes] or [STORE_WIDE]
        return sorted(set(found), key=lambda c: (c == STORE_WIDE, c))


@dataclass(frozen=True)
class Options:
    """What the plan may do and what it ignores."""

    prune: bool = False
    max_delete_percent: int = 10
    allow_mass_delete: bool = False
    sync_stock: bool = False
    ignore: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # personal data (customers) may be written: only a sandbox clone, with them anonymised
    personal_data: bool = False
    # operational data of the live store (inventory) may be written: only a sandbox clone
    operational_data: bool = False
    # product reviews are compared and written: a sandbox's; a production store's only when its
    # environment asks (annotation stagingpro.io/deploy-reviews: "true"; `--with-reviews`)
    reviews: bool = False
    # plan only this channel's records (by name; `default`: the first storefront): its category
    # tree, products' assignments to it and into its tree, its content; None: the whole store
    channel: str | None = None


PERSONAL_REFUSED = (
    "{kind} are personal data: they are never deployed nor captured; a sandbox with cloneFrom "
    "gets them anonymised from its source"
)
LIVE_REFUSED = (
    "{kind} are operational data owned by the live store: they are never deployed nor "
    "captured; a sandbox with cloneFrom.inventory gets its source's"
)


@dataclass(frozen=True)
class Plan:
    """An ordered list of steps, the problems that forbid applying it, and facts to show."""

    steps: tuple[Step, ...]
    problems: tuple[str, ...] = ()
    observed_counts: Mapping[str, int] = field(default_factory=dict)
    skipped_deletes: int = 0
    out_of_scope: int = 0  # changes the catalog asks for outside the plan's channel, left out

    def channel_totals(self) -> dict[str, int]:
        """Changes by channel, channels by name and store-wide ones last."""
        counts = self.channel_counts()
        order = sorted(counts, key=lambda c: (c == STORE_WIDE, c))
        return {c: sum(counts[c].values()) for c in order}

    @property
    def several_channels(self) -> bool:
        """Whether a change belongs to a channel other than the first storefront (plans shown to
        people then name each change's channel)."""
        return any(c not in (STORE_WIDE, DEFAULT_CHANNEL_NAME) for c in self.channel_counts())

    def channel_counts(self) -> dict[str, dict[str, int]]:
        """{channel: {create, update, delete}}: a step counts for each channel it belongs to
        (`STORE_WIDE`: records and fields of no channel)."""
        counts: dict[str, dict[str, int]] = {}
        for step in self.steps:
            for channel in step.channels():
                empty = {"create": 0, "update": 0, "delete": 0}
                counts.setdefault(channel, empty)[step.action] += 1
        return counts

    @property
    def in_sync(self) -> bool:
        """Nothing to write."""
        return not self.steps

    def counts(self) -> dict[str, dict[str, int]]:
        """{kind: {create, update, delete}} for every kind with a step."""
        counts: dict[str, dict[str, int]] = {}
        for step in self.steps:
            counts.setdefault(step.kind, {"create": 0, "update": 0, "delete": 0})[step.action] += 1
        return counts

    def estimate_requests(self) -> int:
        """API requests the apply will take at the batch maxima."""
        groups: dict[tuple[Kind, Action, int], int] = defaultdict(int)
        for step in self.steps:
            groups[(step.kind, step.action, step.depth)] += 1
        return sum(KINDS[kind].requests(action, n) for (kind, action, _), n in groups.items())

    def estimate_seconds(self, requests_per_second: float) -> float:
        """Wall time of the apply at the store's quota rate."""
        return self.estimate_requests() / requests_per_second if requests_per_second > 0 else 0.0

    def to_json(self, *, complete: bool = False) -> dict[str, Any]:
        """The plan as JSON-ready data (`complete`: with what the apply needs, for a plan file)."""
        return {
            "formatVersion": PLAN_FORMAT_VERSION,
            "inSync": self.in_sync,
            "counts": self.counts(),
            "channelCounts": self.channel_counts(),
            "estimatedRequests": self.estimate_requests(),
            "problems": list(self.problems),
            "skippedDeletes": self.skipped_deletes,
            "outOfScope": self.out_of_scope,
            "steps": [_step_json(s, complete) for s in self.steps],
            **({"observedCounts": dict(self.observed_counts)} if complete else {}),
        }

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """A plan written by `to_json(complete=True)`; `PlanFormatError` when it is not one."""
        if not isinstance(data, dict) or "steps" not in data:
            raise PlanFormatError("not a StagingPro plan")
        version = data.get("formatVersion")
        if version != PLAN_FORMAT_VERSION:
            raise PlanFormatError(
                f"plan format version {version!r} is not supported (this StagingPro reads "
                f"version {PLAN_FORMAT_VERSION}): make the plan again"
            )
        try:
            steps = tuple(
                Step(
                    Kind(s["kind"]),
                    Action(s["action"]),
                    str(s["key"]),
                    tuple(
                        FieldChange(c["field"], c["before"], c["after"], c.get("channel"))
                        for c in s["changes"]
                    ),
                    id=s.get("id"),
                    owner_key=s.get("ownerKey"),
                    payload=s.get("values", {}),
                    depth=int(s.get("depth", 0)),
                    name=s.get("name", ""),
                    channel=s.get("channel"),
                )
                for s in data["steps"]
            )
        except (KeyError, TypeError, ValueError) as error:
            raise PlanFormatError(f"a step of the plan is malformed ({error})") from None
        return cls(
            steps,
            tuple(data.get("problems", ())),
            data.get("observedCounts", {}),
            int(data.get("skippedDeletes", 0)),
            int(data.get("outOfScope", 0)),
        )


class PlanFormatError(ValueError):
    """A plan file that this version cannot read."""


def _step_json(step: Step, complete: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": step.kind,
        "action": step.action,
        "key": step.key,
        "channel": step.channel,
        "changes": [_change_json(c) for c in step.changes],
    }
    if step.action is Action.CREATE:
        out["values"] = dict(step.payload)
    if complete:
        out.update(id=step.id, ownerKey=step.owner_key, depth=step.depth, name=step.name)
        if step.action is Action.UPDATE:
            out["values"] = dict(step.payload)
    return out


def _change_json(change: FieldChange) -> dict[str, Any]:
    out = {"field": change.field, "before": change.before, "after": change.after}
    return out if change.channel is None else {**out, "channel": change.channel}


def touched_digest(plan: Plan, observed: ObservedCatalog) -> str:
    """A digest of what `observed` holds of every record the plan touches (its id, the fields the
    catalog manages other than operational ones, the fields the step changes, its references), or of
    its absence: equal digests mean the store did not move under the plan."""
    index: dict[Kind, dict[str, Found]] = {}

    def top(kind: Kind) -> dict[str, Found]:
        if kind not in index:
            spec = KINDS[kind]
            index[kind] = {}
            for found in found_all(spec, observed):
                index[kind].setdefault(spec.fold(found[0]), found)
        return index[kind]

    hasher = hashlib.sha256()
    for step in plan.steps:
        spec = KINDS[step.kind]
        if _unobserved(spec, observed):
            record = None
        elif spec.owner is None:
            record = top(step.kind).get(spec.fold(step.key))
        else:
            owner = top(spec.owner).get(step.owner_key or "")
            record = None
            if owner is not None:
                wanted = spec.fold(step.name)
                record = next(
                    (f for f in spec.observed(owner[3]) if spec.fold(f[0]) == wanted), None
                )
        state: Any = None
        if record is not None:
            changed = {c.field for c in step.changes}
            values = {
                k: v for k, v in record[2].items() if k not in spec.operational or k in changed
            }
            refs = {
                r.field: sorted(ids)
                if isinstance(ids := getattr(record[3], r.id_field), frozenset)
                else ids
                for r in spec.references
            }
            state = [record[1], values, refs]
        item = [step.kind, step.action, step.key, state]
        hasher.update(json.dumps(item, sort_keys=True, default=str).encode() + b"\n")
    return "sha256:" + hasher.hexdigest()


# ---- comparison -----------------------------------------------------------------------------------


def same(before: Any, after: Any) -> bool:
    """Equal as the platform stores them: numbers by value (10 == 10.0, float noise ignored)."""
    if isinstance(after, bool) or isinstance(before, bool):
        return before is after
    if isinstance(after, int | float) and isinstance(before, int | float):
        return math.isclose(before, after, rel_tol=0, abs_tol=1e-6)
    return bool(before == after)


def _field_changes(
    observed: Mapping[str, Any], desired: Mapping[str, Any], skip: frozenset[str]
) -> list[FieldChange]:
    changes = []
    for name, value in desired.items():
        if name in skip:
            continue
        current = observed.get(name)
        if current == value and type(current) is type(value):
            continue
        if not same(current, value):
            changes.append(FieldChange(name, current, value))
    return changes


# ---- the planner ----------------------------------------------------------------------------------


class _Planner:
    def __init__(
        self,
        desired: Catalog,
        observed: ObservedCatalog,
        options: Options,
        kinds: Collection[Kind] = TOP_LEVEL,
    ):
        self.desired, self.observed, self.options = desired, observed, options
        self.kinds = kinds
        self.steps: list[Step] = []
        self.problems: list[str] = []
        self.skip = {
            kind: (frozenset() if options.sync_stock else spec.operational)
            | options.ignore.get(kind, frozenset())
            for kind, spec in KINDS.items()
        }
        self.compare_skip = {
            kind: skip | KINDS[kind].create_only for kind, skip in self.skip.items()
        }
        # natural keys of the records other kinds reference, by store id (read when first needed:
        # 100k products are referenced by redirects, which a catalog rarely manages)
        self.names = _ByKind(
            lambda kind: {found[1]: found[0] for found in KINDS[kind].observed(observed)}
        )
        self.folded_names = _ByKind(
            lambda kind: {i: KINDS[kind].fold(name) for i, name in self.names[kind].items()}
        )
        self.scope = options.channel
        first = (observed.channels or {}).get(DEFAULT_CHANNEL)
        if first is not None and self.scope == first.name:  # as the store names its first
            self.scope = DEFAULT_CHANNEL_NAME
        self.out_of_scope = 0
        # each kind's assignments: references to many records of kinds that belong to channels
        self.assignments: dict[Kind, dict[str, Reference]] = {
            kind: {r.field: r for r in spec.references if r.many and KINDS[r.kind].channel}
            for kind, spec in KINDS.items()
        }
        # the channel of each record of a kind that belongs to one, by folded natural key
        self.key_channels = _ByKind(self._key_channels)

    def run(self) -> Plan:
        return self.finish(self.diff())

    def diff(self) -> list[Step]:
        """Every difference, deletes included, in the order they are applied."""
        for kind in TOP_LEVEL:
            if kind not in self.kinds:
                continue
            spec = KINDS[kind]
            if spec.personal and not self.options.personal_data:
                if spec.desired(self.desired) is not None:
                    self.problems.append(PERSONAL_REFUSED.format(kind=kind))
                continue
            if spec.live and not self.options.operational_data:
                if spec.desired(self.desired) is not None:
                    self.problems.append(LIVE_REFUSED.format(kind=kind))
                continue
            if _unobserved(spec, self.observed):
                if spec.desired(self.desired) is not None:
                    self.problems.append(f"the store's {kind} were not observed")
                continue
            self._diff(spec, spec.desired(self.desired), spec.observed(self.observed), None)
        return self._order()

    def finish(self, steps: list[Step]) -> Plan:
        """The plan of those differences under the options (deletes only when pruning)."""
        skipped = 0
        if not self.options.prune:
            skipped = sum(1 for s in steps if s.action is Action.DELETE)
            steps = [s for s in steps if s.action is not Action.DELETE]
        else:
            self._check_delete_limits(steps)
        self._check_references(steps)
        self._check_scope()
        for kind in self.kinds:
            spec = KINDS[kind]
            if spec.plan_check is not None and not _unobserved(spec, self.observed):
                self.problems += spec.plan_check(self.desired, self.observed)
        return Plan(
            tuple(steps), tuple(self.problems), self.observed.counts(), skipped, self.out_of_scope
        )

    def _check_scope(self) -> None:
        """A plan scoped to a channel that neither the store nor the catalog has is refused (a
        misspelt channel would otherwise plan nothing, silently)."""
        if self.scope is None or self.observed.channels is None:
            return
        known = set(self.key_channels[Kind.CHANNELS].values())
        if self.scope not in known:
            self.problems.append(
                f"the plan is scoped to channel {self.scope!r}, which neither the store nor the "
                f"catalog has (channels: {', '.join(sorted(known))})"
            )

    # ---- channels: which channel a record or an assignment belongs to -------------------------

    def _channel(self, spec: KindSpec, item: Any) -> str | None:
        """The channel (by name) a record, desired or observed, belongs to; None: store-wide."""
        if spec.channel is None:
            return None
        channel = spec.channel(item)
        if isinstance(channel, int):  # a store id: named as the store names it
            known = self.names[Kind.CHANNELS].get(channel)
            return known or (DEFAULT_CHANNEL_NAME if channel == DEFAULT_CHANNEL else f"#{channel}")
        return channel

    def _key_channels(self, kind: Kind) -> dict[Any, str]:
        spec, out = KINDS[kind], {}
        for key, _, _, item in spec.observed(self.observed):
            out[spec.fold(key)] = self._channel(spec, item) or DEFAULT_CHANNEL_NAME
        for key, _, item in spec.desired(self.desired) or ():
            out[spec.fold(key)] = self._channel(spec, item) or DEFAULT_CHANNEL_NAME
        return out

    def _channel_of(self, kind: Kind, key: str) -> str:
        """The channel of a record named by an assignment (a category by folded path)."""
        known = self.key_channels[kind].get(key)
        if known is not None:
            return known
        prefix, colon, _ = key.partition(":")
        channels = {c.casefold(): c for c in self.key_channels[Kind.CHANNELS].values()}
        return channels.get(prefix, DEFAULT_CHANNEL_NAME) if colon else DEFAULT_CHANNEL_NAME

    def _by_channel(self, spec: KindSpec, changes: list[FieldChange]) -> list[FieldChange]:
        """Changes as plans show them: an assignment's change split by the channel it is in."""
        assignments = self.assignments[spec.kind]
        if not assignments:
            return changes
        shown = []
        for change in changes:
            reference = assignments.get(change.field)
            if reference is None:
                shown.append(change)
                continue
            parts: dict[str, tuple[list[Any], list[Any]]] = defaultdict(lambda: ([], []))
            for side, keys in enumerate((change.before, change.after)):
                for key in keys:
                    parts[self._channel_of(reference.kind, key)][side].append(key)
            shown += [
                FieldChange(change.field, before, after, channel)
                for channel, (before, after) in sorted(parts.items())
                if set(before) != set(after)
            ]
        return shown

    def _in_scope(self, spec: KindSpec, changes: list[FieldChange]) -> list[FieldChange]:
        """A store-wide record's changes in a channel-scoped plan: only its assignments to that
        channel, the others kept as the store has them."""
        assignments, scope, kept = self.assignments[spec.kind], self.scope, []
        for change in changes:
            reference = assignments.get(change.field)
            if reference is None:
                continue
            after = sorted(
                {k for k in change.before if self._channel_of(reference.kind, k) != scope}
                | {k for k in change.after if self._channel_of(reference.kind, k) == scope}
            )
            if set(after) != set(change.before):
                kept.append(FieldChange(change.field, change.before, after))
        return kept

    def _left_out(self, channel: str | None, action: Action, spec: KindSpec) -> bool:
        """Whether a channel-scoped plan leaves out this change of a record of `channel` (counted
        when the plan would have made it); a plan never deletes the channel it is scoped to."""
        if self.scope is None:
            return False
        if channel == self.scope and not (spec.kind is Kind.CHANNELS and action is Action.DELETE):
            return False
        if action is not Action.DELETE or self.options.prune:
            self.out_of_scope += 1
        return True

    def _diff(
        self,
        spec: KindSpec,
        wanted: Iterable[Desired] | None,
        found: Iterable[Found],
        owner: tuple[str, str] | None,  # (owner's folded key, owner's key as written)
        owners: tuple[Any, Any] | None = None,  # the owner as desired and as found
        channel: str | None = None,  # the owner's channel (owned records are in it)
    ) -> None:
        """One kind's records (of one owner): create the missing, update the changed, delete the
        extra (the first of two records with one key is kept), then recurse into owned kinds. A
        channel-scoped plan keeps only that channel's records and assignments."""
        if wanted is None:
            return
        kind, fold = spec.kind, spec.fold
        exact = fold is EXACT  # keys compared as they are: no call per key
        compare_skip = self.compare_skip[kind]
        owned = children(kind)
        owner_key = owner[0] if owner else None
        current: dict[str, Any] = {}
        extras: list[Found] = []
        read: Callable[[Any], Found] | None = None  # how an indexed record is read
        if isinstance(found, FoundIndex):
            current, read = dict(found.items), found.read
        else:
            for record in found:
                folded = record[0] if exact else fold(record[0])
                if folded in current:
                    extras.append(record)
                else:
                    current[folded] = record
        renamed: dict[str, str] = {}  # folded new key -> the key the store has it under
        if spec.renamed is not None and read is None:
            wanted = list(wanted)
            renamed = _renames(spec, wanted, current)
        channel_of = None if owner or spec.channel is None else self._channel
        for key, values, item in wanted:
            folded = key if exact else fold(key)
            raw = current.pop(folded, None)
            own = channel if channel_of is None else channel_of(spec, item)
            if raw is None:
                if not self._left_out(own, Action.CREATE, spec):
                    self._create(spec, key, values, item, owner, own)
                continue
            record = raw if read is None else read(raw)
            relabelled: tuple[tuple[str, str], ...] = ()
            if spec.relabel is not None and owners is not None and record[2] is not values:
                record, relabelled = spec.relabel(*owners, key, values, record)
            # an observation in sync holds the catalog's own fields (nothing to compare)
            changes = [] if record[2] is values else _field_changes(record[2], values, compare_skip)
            if folded in renamed:  # changed in place under its new key
                changes.insert(0, FieldChange(spec.key, renamed[folded], key))
            for reference in spec.references:
                change = self._reference_change(reference, item, record[3])
                if change is not None:
                    changes.append(change)
            if self.scope is not None and own != self.scope and (changes or relabelled):
                kept = [] if own is not None else self._in_scope(spec, changes)
                left = any(c.channel != self.scope for c in self._by_channel(spec, changes))
                self.out_of_scope += int(left or bool(relabelled))
                changes, relabelled = kept, ()
            if changes or relabelled:
                # a value renamed in place is shown; its record's id carries the new label
                shown = [FieldChange(RENAMED_VALUE, old, new) for old, new in relabelled]
                self.steps.append(
                    Step(
                        kind,
                        Action.UPDATE,
                        _label(spec, owner, key),
                        (*shown, *self._by_channel(spec, changes)),
                        id=record[1],
                        owner_key=owner_key or (folded if owned else None),
                        payload={c.field: c.after for c in changes},
                        depth=spec.depth_of(item) if spec.depth_of else 0,
                        name=key if owner else "",
                        channel=own,
                    )
                )
            for child in owned:
                if child.opt_in and not self.options.reviews:
                    continue
                if self.scope is not None and own != self.scope:
                    continue  # a store-wide record's own records are store-wide
                self._diff(
                    child,
                    child.desired(item),
                    child.observed(record[3]),
                    (folded, key),
                    (item, record[3]),
                    own,
                )
        for record in (
            *extras,
            *(current.values() if read is None else map(read, current.values())),
        ):
            own = channel if channel_of is None else channel_of(spec, record[3])
            if self._left_out(own, Action.DELETE, spec):
                continue
            self.steps.append(
                Step(
                    kind,
                    Action.DELETE,
                    _label(spec, owner, record[0]),
                    id=record[1],
                    owner_key=owner_key or (fold(record[0]) if owned else None),
                    depth=spec.depth(record[0]),
                    name=record[0] if owner else "",
                    channel=own,
                )
            )

    def _reference_change(self, reference: Reference, item: Any, found: Any) -> FieldChange | None:
        """The change of a reference field, compared in natural keys (None when equal or unmanaged)."""
        wanted = getattr(item, reference.field)
        if wanted is None:
            return None
        names = self.names[reference.kind]
        fold = KINDS[reference.kind].fold
        ids = getattr(found, reference.id_field)
        if reference.many:
            folded = self.folded_names[reference.kind]
            current = frozenset(folded[i] for i in ids if i in folded)
            if current == wanted:
                return None
            return FieldChange(reference.field, sorted(current), sorted(wanted))
        name = names.get(ids, "")
        return None if fold(name) == fold(wanted) else FieldChange(reference.field, name, wanted)

    def _create(
        self,
        spec: KindSpec,
        key: str,
        values: Mapping[str, Any],
        item: Any,
        owner: tuple[str, str] | None,
        channel: str | None,
    ) -> None:
        missing = [f for f in spec.required_on_create if f not in values]
        if missing:
            self.problems.append(
                f"{spec.singular} {key!r} is not in the store and needs {', '.join(missing)} "
                "to be created"
            )
        self.steps.append(
            Step(
                spec.kind,
                Action.CREATE,
                _label(spec, owner, key),
                owner_key=owner[0] if owner else None,
                payload=_create_payload(spec, key, values, item, self.options),
                depth=spec.depth_of(item) if spec.depth_of else spec.depth(key),
                name=key if owner else "",
                channel=channel,
            )
        )

    def _check_references(self, steps: list[Step]) -> None:
        """For kinds that ask for it: every reference of a desired record names a record that the
        catalog or the store has and that the plan does not delete, and no record the plan keeps
        still points to one the plan deletes (both refused before the first write)."""
        checked = [
            spec
            for kind, spec in KINDS.items()
            if (spec.checks_references or spec.named is not None)
            and kind in self.kinds
            and not _unobserved(spec, self.observed)
        ]
        if not checked:
            return
        deleted: dict[Kind, set[str]] = defaultdict(set)
        for step in steps:
            if step.action is Action.DELETE and KINDS[step.kind].owner is None:
                deleted[step.kind].add(KINDS[step.kind].fold(step.key))
        known: dict[Kind, set[str]] = {}
        # a channel-scoped plan makes only what it plans: the catalog's others are not there
        created = {(s.kind, KINDS[s.kind].fold(s.key)) for s in steps if s.action is Action.CREATE}

        def in_catalog(kind: Kind) -> set[str]:
            target = KINDS[kind]
            return {target.fold(k) for k, _, _ in target.desired(self.desired) or ()}

        def lacks(kind: Kind, key: str) -> str:
            """Why a name resolves to nothing."""
            if self.scope is not None and KINDS[kind].fold(key) in in_catalog(kind):
                return (
                    f"which the store does not have yet and a plan scoped to channel "
                    f"{self.scope} does not create (release it to the whole store first)"
                )
            return "which neither the catalog nor the store has"

        def exists(kind: Kind, key: str) -> bool:
            if kind not in known:
                target = KINDS[kind]
                found = set(self.folded_names[kind].values())
                if self.scope is None:
                    found |= in_catalog(kind)
                else:
                    found |= {k for made, k in created if made is kind}
                if target.implicit is not None:  # every store has it (the first storefront)
                    found.add(target.fold(target.implicit))
                known[kind] = found - deleted[kind]
            return KINDS[kind].fold(key) in known[kind]

        for spec in checked:
            wanted = spec.desired(self.desired)
            desired_keys = set()
            for key, values, item in wanted or ():
                desired_keys.add(spec.fold(key))
                if self.scope is not None and self._channel(spec, item) != self.scope:
                    continue  # not part of this plan
                for kind, named in spec.named.read(values) if spec.named else ():
                    if not exists(kind, named):
                        where = spec.named.where.get(kind) if spec.named else None
                        self.problems.append(
                            f"{spec.singular} {key!r}{f': {where}' if where else ''} names "
                            f"{KINDS[kind].singular} {named!r}, {lacks(kind, named)}"
                        )
                for reference in spec.references:
                    value = getattr(item, reference.field)
                    for one in sorted(value or ()) if reference.many else [value]:
                        if not one or exists(reference.kind, one):
                            continue
                        target = KINDS[reference.kind]
                        self.problems.append(
                            f"{spec.singular} {key!r}: {reference.field} names {target.singular} "
                            f"{one!r}, {lacks(reference.kind, one)}"
                            + (
                                " once the plan's deletes are done"
                                if deleted[reference.kind]
                                else ""
                            )
                        )
            if not any(deleted[r.kind] for r in spec.references):
                continue
            kept = desired_keys if wanted is not None else None
            for key, _, _, found in spec.observed(self.observed):
                folded = spec.fold(key)
                if folded in deleted[spec.kind] or (kept is not None and folded in kept):
                    continue  # deleted, or checked above as desired
                for reference in spec.references:
                    ids = getattr(found, reference.id_field)
                    for one in sorted(ids) if reference.many else [ids]:
                        name = self.folded_names[reference.kind].get(one)
                        if name is not None and name in deleted[reference.kind]:
                            self.problems.append(
                                f"the plan deletes {KINDS[reference.kind].singular} "
                                f"{self.names[reference.kind][one]!r}, "
                                f"which {spec.singular} {key!r} points to"
                            )

    def _order(self) -> list[Step]:
        def order(step: Step) -> tuple[int, int, int, str]:
            if step.action is Action.DELETE:
                # owned records first, then their owners; trees deepest first; referenced kinds last
                return (1, -RANK[step.kind], -step.depth, step.key)
            return (0, RANK[step.kind], step.depth, "" if step.action is Action.CREATE else "~")

        return sorted(self.steps, key=order)

    def _check_delete_limits(self, steps: list[Step]) -> None:
        """At most maxDeletePercent of each kind's records are deleted: of the store's, or of the
        channel's in a channel-scoped plan."""
        if self.options.allow_mass_delete:
            return
        deletes: dict[str, int] = defaultdict(int)
        for step in steps:
            if step.action is Action.DELETE and step.kind in TOP_LEVEL:
                deletes[step.kind] += 1
        counts = self.observed.counts()
        of = "" if self.scope is None else f" of channel {self.scope}"
        for kind, n in sorted(deletes.items()):
            total = (
                counts.get(kind, 0) if self.scope is None else self._in_channel(KINDS[Kind(kind)])
            )
            if total and n * 100 > self.options.max_delete_percent * total:
                self.problems.append(
                    f"the plan deletes {n} of {total} {kind}{of} ({100 * n / total:.0f}%), more "
                    f"than maxDeletePercent {self.options.max_delete_percent}%"
                )

    def _in_channel(self, spec: KindSpec) -> int:
        """How many records of a kind the store has in the plan's channel."""
        return sum(
            1 for f in spec.observed(self.observed) if self._channel(spec, f[3]) == self.scope
        )


class _ByKind(dict[Kind, dict[Any, str]]):
    """A map per kind, each built on first use."""

    def __init__(self, build: Callable[[Kind], dict[Any, str]]):
        super().__init__()
        self._build = build

    def __missing__(self, kind: Kind) -> dict[Any, str]:
        self[kind] = built = self._build(kind)
        return built


def _renames(spec: KindSpec, wanted: list[Desired], current: dict[str, Any]) -> dict[str, str]:
    """Records the store has under a key the catalog no longer names that `spec.renamed` takes
    for a desired record under a new key: moved in `current` to the new key (folded new key ->
    the old key, as the store spells it)."""
    assert spec.renamed is not None
    fold = spec.fold
    keys = {fold(key) for key, _, _ in wanted}
    gone = [k for k in current if k not in keys]
    moved: dict[str, str] = {}
    for key, values, _ in wanted:
        folded = fold(key)
        if folded in current or folded in moved:
            continue
        match = next((k for k in gone if spec.renamed(values, current[k][2])), None)
        if match is not None:
            gone.remove(match)
            record = current.pop(match)
            current[folded] = record
            moved[folded] = record[0]
    return moved


def _unobserved(spec: KindSpec, observed: ObservedCatalog) -> bool:
    """The store's records of this kind were not observed (not asked for)."""
    return (
        spec.observed_attribute is not None and getattr(observed, spec.observed_attribute) is None
    )


def _label(spec: KindSpec, owner: tuple[str, str] | None, key: str) -> str:
    """A record's key in plans: an owned record's is prefixed with its owner's."""
    return f"{owner[1]}{spec.separator}{key}" if owner else key


def _create_payload(
    spec: KindSpec,
    key: str,
    values: Mapping[str, Any],
    item: Any,
    options: Options,
) -> dict[str, Any]:
    """A new record in natural keys: its key, its values (ignored fields left out), its references
    and the records it owns (created with it where the provider can; reviews when asked)."""
    skip = options.ignore.get(spec.kind, frozenset())
    payload = {spec.key: key, **{k: v for k, v in values.items() if k not in skip}}
    if spec.create_values is not None:
        payload.update(spec.create_values(item))
    for reference in spec.references:
        value = getattr(item, reference.field)
        if reference.many and value is not None:
            payload[reference.field] = sorted(value)
        elif value:
            payload[reference.field] = value
    for child in children(spec.kind):
        records = child.desired(item) if options.reviews or not child.opt_in else None
        if records:
            assert child.owner_field is not None
            payload[child.owner_field] = [
                _create_payload(child, k, v, i, options) for k, v, i in records
            ]
    return payload


def plan(
    desired: Catalog,
    observed: ObservedCatalog,
    options: Options | None = None,
    *,
    kinds: Collection[Kind] = TOP_LEVEL,
) -> Plan:
    """The steps that make the store match `desired` (deletes only with `options.prune`), for the
    top-level `kinds` and the kinds they own."""
    with bulk_allocation():
        return _Planner(desired, observed, options or Options(), kinds).run()


@dataclass(frozen=True)
class Drift:
    """Differences between a store and its desired catalog."""

    counts: Mapping[str, Mapping[str, int]]
    samples: tuple[tuple[str, str, str, tuple[str, ...]], ...]  # (kind, key, change, fields)

    @property
    def in_sync(self) -> bool:
        """No differences at all."""
        return not any(sum(c.values()) for c in self.counts.values())

    def total(self) -> int:
        """Number of drifted items."""
        return sum(sum(c.values()) for c in self.counts.values())


_DRIFT_NAMES = {"create": "missing", "delete": "extra", "update": "changed"}


def drift(desired: Catalog, observed: ObservedCatalog, options: Options | None = None) -> Drift:
    """What differs, per kind (missing, extra, changed), with at most 20 field-level samples."""
    with bulk_allocation():
        return _drift(_Planner(desired, observed, options or Options()).diff())


def plan_and_drift(
    desired: Catalog, observed: ObservedCatalog, options: Options | None = None
) -> tuple[Plan, Drift]:
    """`plan` and `drift` of the same catalog and store, comparing them once."""
    with bulk_allocation():
        planner = _Planner(desired, observed, options or Options())
        steps = planner.diff()
        return planner.finish(list(steps)), _drift(steps)


def _drift(steps: Iterable[Step]) -> Drift:
    counts: dict[str, dict[str, int]] = {}
    samples: list[tuple[str, str, str, tuple[str, ...]]] = []
    for step in steps:
        change = _DRIFT_NAMES[step.action]
        counts.setdefault(step.kind, {"missing": 0, "extra": 0, "changed": 0})[change] += 1
        if len(samples) < MAX_SAMPLES:
            samples.append((step.kind, step.key, change, tuple(step.fields())))
    return Drift(counts, tuple(samples))
