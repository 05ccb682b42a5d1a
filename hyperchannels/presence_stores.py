"""Where presence entries live: in this process for the in-memory layer, in Redis for
channels_redis' layers (docs/presence.md, "How it works").

An entry is one tracking socket in one group: its ``ref`` (unique per socket), its ``key`` (the
user, or the socket for an anonymous one) and its meta (JSON text). A key is present while it
has entries, and for ``PRESENCE_GRACE`` seconds after its last one went ("leaving"): an entry of
the same key that comes back within the grace is no leave and no join.

Entries expire ``PRESENCE_TTL`` seconds after their process last refreshed them, so the entries
of a process that died go too. A sweep removes expired entries and claims the leaves that are
due; in Redis it is one Lua script, so each leave is claimed (and pushed) by exactly one process.
Every operation touches only the entries of the keys it changes: a join costs the same with 10
or 10,000 present.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from .groups import layer_group
from .history import RedisHistory, history_for

JOIN = "join"
UPDATE = "update"
BACK = "back"
LEAVING = "leaving"
UNCHANGED = "unchanged"

Metas = list[str]
"""The metas of one key, each as JSON text."""


class Tracked(NamedTuple):
    """What a ``track`` (or an update) did to its key: ``JOIN``, ``UPDATE`` (the key's metas
    changed), ``BACK`` (the key returned within its grace: ``before`` its old metas)."""

    status: str
    metas: Metas
    before: Metas


class Untracked(NamedTuple):
    """``UPDATE``: other entries of ``key`` remain (``metas``); ``LEAVING``: that was its last."""

    status: str
    key: str
    metas: Metas


class Swept(NamedTuple):
    leaves: list[tuple[str, Metas]]
    updates: list[tuple[str, Metas]]
    next_due: float | None
    """Seconds until the next leave of the group is due, if one is waiting."""


class Store(Protocol):
    async def track(self, group: str, ref: str, key: str, meta: str, ttl: float, keep: float) -> Tracked: ...
    async def untrack(self, group: str, ref: str, grace: float, keep: float) -> Untracked | None: ...
    async def sweep(self, group: str) -> Swept: ...
    async def refresh(self, group: str, refs: list[str], ttl: float, keep: float) -> list[str]:
        """Push back the expiry of ``refs``; returns those no longer there (swept meanwhile)."""
        ...

    async def state(self, group: str) -> dict[str, Metas]: ...
    def state_now(self, group: str) -> dict[str, Metas]: ...


# In process ----------------------------------------------------------------------------


@dataclass
class _Group:
    refs: dict[str, tuple[str, float]] = field(default_factory=dict)
    """ref -> (key, expiry)"""
    metas: dict[str, dict[str, str]] = field(default_factory=dict)
    """key -> {ref: meta}; a leaving key keeps its last metas until its leave"""
    leaving: dict[str, float] = field(default_factory=dict)
    """key -> when its leave is due"""


class InProcessStore:
    """Entries in this process's memory; sync and async readers share one lock."""

    def __init__(self) -> None:
        self._groups: dict[str, _Group] = {}
        self._lock = threading.Lock()

    def _group(self, group: str) -> _Group:
        found = self._groups.get(group)
        if found is None:
            found = self._groups[group] = _Group()
        return found

    async def track(self, group: str, ref: str, key: str, meta: str, ttl: float, keep: float) -> Tracked:
        now = time.monotonic()
        with self._lock:
            g = self._group(group)
            if ref in g.refs:
                key = g.refs[ref][0]
                g.refs[ref] = (key, now + ttl)
                g.metas[key][ref] = meta
                return Tracked(UPDATE, list(g.metas[key].values()), [])
            g.refs[ref] = (key, now + ttl)
            live = [r for r in g.metas.get(key, {}) if r in g.refs]
            status, before = UPDATE, []
            if not live:
                if g.leaving.pop(key, None) is not None:
                    status, before = BACK, list(g.metas.get(key, {}).values())
                else:
                    status = JOIN
                g.metas[key] = {}
            g.metas[key][ref] = meta
            return Tracked(status, list(g.metas[key].values()), before)

    async def untrack(self, group: str, ref: str, grace: float, keep: float) -> Untracked | None:
        with self._lock:
            g = self._group(group)
            found = g.refs.pop(ref, None)
            if found is None:
                return None
            key = found[0]
            return self._drop(g, key, ref, time.monotonic() + grace)

    @staticmethod
    def _drop(g: _Group, key: str, ref: str, due: float) -> Untracked:
        metas = g.metas[key]
        if any(r in g.refs for r in metas if r != ref):
            metas.pop(ref, None)
            return Untracked(UPDATE, key, list(metas.values()))
        g.leaving[key] = due
        return Untracked(LEAVING, key, list(metas.values()))

    async def sweep(self, group: str) -> Swept:
        now = time.monotonic()
        with self._lock:
            g = self._group(group)
            updated: set[str] = set()
            for ref, (key, expiry) in list(g.refs.items()):
                if expiry <= now:
                    del g.refs[ref]
                    if self._drop(g, key, ref, now).status == UPDATE:
                        updated.add(key)
            leaves = []
            for key, due in list(g.leaving.items()):
                if due <= now:
                    del g.leaving[key]
                    leaves.append((key, list(g.metas.pop(key, {}).values())))
            updates = [(k, list(g.metas[k].values())) for k in updated if k in g.metas and k not in g.leaving]
            next_due = min(g.leaving.values(), default=None)
            if not g.refs and not g.leaving:
                del self._groups[group]
            return Swept(leaves, updates, None if next_due is None else max(0.0, next_due - now))

    async def refresh(self, group: str, refs: list[str], ttl: float, keep: float) -> list[str]:
        expiry = time.monotonic() + ttl
        with self._lock:
            g = self._group(group)
            missing = []
            for ref in refs:
                if ref in g.refs:
                    g.refs[ref] = (g.refs[ref][0], expiry)
                else:
                    missing.append(ref)
            return missing

    async def state(self, group: str) -> dict[str, Metas]:
        return self.state_now(group)

    def state_now(self, group: str) -> dict[str, Metas]:
        with self._lock:
            g = self._groups.get(group)
            return {} if g is None else {key: list(metas.values()) for key, metas in g.metas.items()}


# Redis ---------------------------------------------------------------------------------
# KEYS: entries (hash ref -> key), expiry (zset ref -> ms), counts (hash key -> live entries),
# leaving (zset key -> ms due), all (hash ref -> '<bytes of key>:<key><meta>', for the state in one
# command). ARGV[1]: the base of each key's metas hash (base .. ':k:' .. key).

_NOW = "local t = redis.call('TIME')\nlocal now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
_KEEP = "for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], keep) end\n"
_FORGET = """
local function forget(kk)
  local refs = redis.call('HKEYS', kk)
  if #refs > 0 then redis.call('HDEL', KEYS[5], unpack(refs)) end
  redis.call('DEL', kk)
end
"""

_TRACK = _NOW + _FORGET + """
local ref, key, meta, ttl, keep = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local old = redis.call('HGET', KEYS[1], ref)
if old then
  local kk = ARGV[1] .. ':k:' .. old
  redis.call('HSET', kk, ref, meta)
  redis.call('HSET', KEYS[5], ref, string.len(old) .. ':' .. old .. meta)
  redis.call('ZADD', KEYS[2], now + ttl, ref)
  return {'update', redis.call('HVALS', kk), {}}
end
local kk = ARGV[1] .. ':k:' .. key
redis.call('HSET', KEYS[1], ref, key)
redis.call('ZADD', KEYS[2], now + ttl, ref)
local status, before = 'update', {}
if redis.call('HINCRBY', KEYS[3], key, 1) == 1 then
  if redis.call('ZREM', KEYS[4], key) == 1 then
    status, before = 'back', redis.call('HVALS', kk)
  else
    status = 'join'
  end
  forget(kk)
end
redis.call('HSET', kk, ref, meta)
redis.call('HSET', KEYS[5], ref, string.len(key) .. ':' .. key .. meta)
redis.call('PEXPIRE', kk, keep)
""" + _KEEP + "return {status, redis.call('HVALS', kk), before}\n"

_DROP = """
local function drop(ref, key, due)
  local kk = ARGV[1] .. ':k:' .. key
  if redis.call('HINCRBY', KEYS[3], key, -1) > 0 then
    redis.call('HDEL', kk, ref)
    redis.call('HDEL', KEYS[5], ref)
    return 'update'
  end
  redis.call('HDEL', KEYS[3], key)
  redis.call('ZADD', KEYS[4], due, key)
  return 'leaving'
end
"""

_UNTRACK = _NOW + _DROP + """
local ref, keep = ARGV[2], tonumber(ARGV[4])
local key = redis.call('HGET', KEYS[1], ref)
if not key then return false end
redis.call('HDEL', KEYS[1], ref)
redis.call('ZREM', KEYS[2], ref)
local status = drop(ref, key, now + tonumber(ARGV[3]))
""" + _KEEP + "return {status, key, redis.call('HVALS', ARGV[1] .. ':k:' .. key)}\n"

_SWEEP = _NOW + _DROP + _FORGET + """
local updated = {}
for _, ref in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  local key = redis.call('HGET', KEYS[1], ref)
  redis.call('HDEL', KEYS[1], ref)
  redis.call('ZREM', KEYS[2], ref)
  if key and drop(ref, key, now) == 'update' then updated[key] = true end
end
local leaves = {}
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do
  redis.call('ZREM', KEYS[4], key)
  local kk = ARGV[1] .. ':k:' .. key
  leaves[#leaves + 1] = {key, redis.call('HVALS', kk)}
  forget(kk)
end
local updates = {}
for key in pairs(updated) do
  if redis.call('HEXISTS', KEYS[3], key) == 1 then
    updates[#updates + 1] = {key, redis.call('HVALS', ARGV[1] .. ':k:' .. key)}
  end
end
local first = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
local due = -1
if first[2] then due = math.max(0, tonumber(first[2]) - now) end
return {leaves, updates, due}
"""

_REFRESH = _NOW + """
local ttl, keep = tonumber(ARGV[2]), tonumber(ARGV[3])
local missing = {}
local keys = {}
for i = 4, #ARGV do
  local key = redis.call('HGET', KEYS[1], ARGV[i])
  if key then
    redis.call('ZADD', KEYS[2], now + ttl, ARGV[i])
    keys[key] = true
  else
    missing[#missing + 1] = ARGV[i]
  end
end
for key in pairs(keys) do redis.call('PEXPIRE', ARGV[1] .. ':k:' .. key, keep) end
""" + _KEEP + "return missing\n"

_STATE = "return redis.call('HVALS', KEYS[5])\n"


def _state(values: Any) -> dict[str, Metas]:
    """The group's metas per key from the ``all`` hash's values (``<bytes of key>:<key><meta>``)."""
    state: dict[str, Metas] = {}
    for value in values or []:
        raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
        length, _, rest = raw.partition(b":")
        size = int(length)
        state.setdefault(rest[:size].decode("utf-8"), []).append(rest[size:].decode("utf-8"))
    return state


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _texts(values: Any) -> list[str]:
    return [_text(v) for v in values or []]


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisStore:
    """Entries in the Redis of a channels_redis layer, on the host the group's name hashes to,
    through the connections the layer's history uses (the layer's own, per event loop)."""

    def __init__(self, history: RedisHistory) -> None:
        self.history = history

    def _keys(self, group: str) -> tuple[list[str], str, int]:
        name = layer_group(group)
        base = f"{self.history.prefix}:hyper:presence:{{{name}}}"
        index = self.history._keys(group)[1]
        keys = [f"{base}:entries", f"{base}:expiry", f"{base}:counts", f"{base}:leaving", f"{base}:all"]
        return keys, base, index

    async def _eval(self, script: str, group: str, *args: Any) -> Any:
        keys, base, index = self._keys(group)
        return await self.history._connection(index).eval(script, len(keys), *keys, base, *args)

    async def track(self, group: str, ref: str, key: str, meta: str, ttl: float, keep: float) -> Tracked:
        status, metas, before = await self._eval(_TRACK, group, ref, key, meta, _ms(ttl), _ms(keep))
        return Tracked(_text(status), _texts(metas), _texts(before))

    async def untrack(self, group: str, ref: str, grace: float, keep: float) -> Untracked | None:
        found = await self._eval(_UNTRACK, group, ref, _ms(grace), _ms(keep))
        if not found:
            return None
        return Untracked(_text(found[0]), _text(found[1]), _texts(found[2]))

    async def sweep(self, group: str) -> Swept:
        leaves, updates, due = await self._eval(_SWEEP, group)
        return Swept(
            [(_text(k), _texts(m)) for k, m in leaves],
            [(_text(k), _texts(m)) for k, m in updates],
            None if int(due) < 0 else int(due) / 1000,
        )

    async def refresh(self, group: str, refs: list[str], ttl: float, keep: float) -> list[str]:
        return _texts(await self._eval(_REFRESH, group, _ms(ttl), _ms(keep), *refs))

    async def state(self, group: str) -> dict[str, Metas]:
        return _state(await self._eval(_STATE, group))

    def state_now(self, group: str) -> dict[str, Metas]:
        keys, base, index = self._keys(group)
        return _state(self.history._sync_client(index).eval(_STATE, len(keys), *keys, base))


_stores: weakref.WeakKeyDictionary[Any, Store] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def store_for(layer: Any) -> Store:
    """The presence store of ``layer``: beside its history (Redis, or this process)."""
    with _stores_lock:
        found = _stores.get(layer)
        if found is None:
            history = history_for(layer)
            found = RedisStore(history) if isinstance(history, RedisHistory) else InProcessStore()
            _stores[layer] = found
        return found
