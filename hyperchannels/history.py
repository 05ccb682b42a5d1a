"""Each group's position and recent push frames, kept where the channel layer lives
(docs/recovery.md).

A group's position is its ``epoch`` and ``seq``: ``seq`` grows by one with each push frame of
the group, across every process sharing the layer; the ``epoch`` is new whenever the history
was lost (Redis flushed or restarted empty, a new in-memory process, ``HISTORY_TTL`` seconds
without a push), so a ``seq`` is only ever compared within one epoch. The last
``HISTORY_SIZE`` frames are kept, already encoded, so a socket that comes back gets exactly
what it missed.

- ``InMemoryChannelLayer`` (and any layer that is not channels_redis'): in this process.
- channels_redis' core and pubsub layers: in Redis, on the host the group's name hashes to,
  under the layer's prefix, with a TTL; one round trip per broadcast at the sender (a Lua
  script assigns the seqs, stores the frames and trims the list atomically).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from .conf import get_setting
from .groups import layer_group

IN_FLIGHT = 16
"""History round trips one process (one event loop) makes at once."""


class Position(NamedTuple):
    """Where a group's pushes stand: the last ``seq`` of ``epoch`` (0: nothing pushed yet)."""

    seq: int
    epoch: str

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "epoch": self.epoch}


def new_epoch() -> str:
    return uuid.uuid4().hex[:16]


class History(Protocol):
    """The positions and recent frames of groups, for one channel layer."""

    async def append(self, group: str, prefixes: list[str]) -> tuple[Position, list[str]]:
        """Give the next ``len(prefixes)`` seqs of ``group`` to frames and keep them.

        Each prefix is a push frame's JSON text up to ``"seq":`` (``frame_prefix``); returns the
        group's position after them and the complete frames.
        """
        ...

    async def positions(self, groups: Iterable[str]) -> dict[str, Position]:
        """The current position of each group (a group with no history gets a fresh epoch)."""
        ...

    async def since(self, group: str, position: Position) -> list[str] | None:
        """The frames after ``position``, in order; ``None`` when they are no longer all kept
        (another epoch, or older than the last ``HISTORY_SIZE``)."""
        ...

    async def instance(self) -> str:
        """Names the store's current life: it changes when the store lost everything (Redis
        restarted empty or flushed), so a process notices without a broadcast."""
        ...


def close_frame(prefix: str, seq: int) -> str:
    """A push frame's text from its prefix and its seq."""
    return f"{prefix}{seq}}}"


def _size() -> int:
    return int(get_setting("HISTORY_SIZE"))


def _ttl() -> float:
    return float(get_setting("HISTORY_TTL"))


# In process ----------------------------------------------------------------------------


@dataclass
class _GroupLog:
    epoch: str = field(default_factory=new_epoch)
    seq: int = 0
    frames: deque[str] = field(default_factory=deque)
    touched: float = field(default_factory=time.monotonic)


class InProcessHistory:
    """Histories in this process's memory (the in-memory layer never leaves its process)."""

    def __init__(self) -> None:
        self._logs: dict[str, _GroupLog] = {}
        self._lock = threading.Lock()  # sync code (template tags, sign_stream) reads too

    def _log(self, group: str) -> _GroupLog:
        now = time.monotonic()
        log = self._logs.get(group)
        if log is None or now - log.touched > _ttl():
            log = self._logs[group] = _GroupLog()
        log.touched = now
        return log

    def append_now(self, group: str, prefixes: list[str]) -> tuple[Position, list[str]]:
        size = _size()
        with self._lock:
            log = self._log(group)
            frames = []
            for prefix in prefixes:
                log.seq += 1
                frames.append(close_frame(prefix, log.seq))
            log.frames.extend(frames)
            while len(log.frames) > size:
                log.frames.popleft()
            return Position(log.seq, log.epoch), frames

    def positions_now(self, groups: Iterable[str]) -> dict[str, Position]:
        with self._lock:
            return {g: Position(self._log(g).seq, self._log(g).epoch) for g in groups}

    async def append(self, group: str, prefixes: list[str]) -> tuple[Position, list[str]]:
        return self.append_now(group, prefixes)

    async def positions(self, groups: Iterable[str]) -> dict[str, Position]:
        return self.positions_now(groups)

    async def instance(self) -> str:
        return "process"

    async def since(self, group: str, position: Position) -> list[str] | None:
        with self._lock:
            log = self._log(group)
            missed = log.seq - position.seq
            if position.epoch != log.epoch or missed < 0 or missed > len(log.frames):
                return None
            return list(log.frames)[len(log.frames) - missed :] if missed else []


# Redis ---------------------------------------------------------------------------------

_APPEND = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
  redis.call('DEL', KEYS[2], KEYS[3])
end
local size = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local n = #ARGV - 3
local last = redis.call('INCRBY', KEYS[2], n)
local first = last - n + 1
if size > 0 then
  for i = 1, n do
    redis.call('RPUSH', KEYS[3], ARGV[3 + i] .. (first + i - 1) .. '}')
  end
  redis.call('LTRIM', KEYS[3], -size, -1)
end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[3], ttl)
return {epoch, last}
"""

_POSITION = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch, 'EX', tonumber(ARGV[2]))
  redis.call('DEL', KEYS[2], KEYS[3])
end
local seq = redis.call('GET', KEYS[2]) or '0'
return {epoch, seq}
"""

_INSTANCE = """
local found = redis.call('GET', KEYS[1])
if not found then
  redis.call('SET', KEYS[1], ARGV[1])
  return ARGV[1]
end
return found
"""

_SINCE = """
local epoch = redis.call('GET', KEYS[1])
if epoch ~= ARGV[1] then return false end
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local missed = seq - tonumber(ARGV[2])
if missed < 0 or missed > redis.call('LLEN', KEYS[3]) then return false end
if missed == 0 then return {} end
return redis.call('LRANGE', KEYS[3], -missed, -1)
"""


class RedisHistory:
    """Histories in the Redis of a channels_redis layer, under its prefix.

    Connections are the layer's own (per event loop, closed with the layer's), so nothing here
    is bound to a loop. Sync readers (``positions_now``: template tags, ``sign_stream``) use a
    plain redis-py client of their own.
    """

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        # Not hasattr(): the pubsub layer answers unknown attributes from its per-loop layer,
        # which needs a running loop (sync callers have none).
        self.pubsub = type(layer).__module__ == "channels_redis.pubsub"
        if self.pubsub:
            self.prefix: str = layer._kwargs.get("prefix", "asgi")
            self.hosts: list[dict[str, Any]] = _decode_hosts(layer._kwargs.get("hosts"))
        else:
            self.prefix = layer.prefix
            self.hosts = layer.hosts
        self._sync_clients: dict[int, Any] = {}
        self._gates: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}
        self._sync_lock = threading.Lock()

    def _keys(self, group: str) -> tuple[list[str], int]:
        name = layer_group(group)
        base = f"{self.prefix}:hyper:{{{name}}}"
        keys = [f"{base}:epoch", f"{base}:seq", f"{base}:log"]
        return keys, _hash(name, len(self.hosts))

    def _connection(self, index: int) -> Any:
        if not self.pubsub:
            return self.layer.connection(index)
        shard = self.layer._get_layer()._shards[index]
        shard._ensure_redis()
        return shard._redis

    async def _eval(self, script: str, keys: list[str], index: int, *args: Any) -> Any:
        async with self._gate():
            return await self._connection(index).eval(script, len(keys), *keys, *args)

    def _gate(self) -> asyncio.Semaphore:
        """At most ``IN_FLIGHT`` history round trips at once on this loop: a storm of sockets
        opening together (a deploy) must not take every connection of the layer's Redis pool
        (redis-py raises ``MaxConnectionsError`` past it) from its relays and broadcasts."""
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            for stale in [other for other in self._gates if other.is_closed()]:
                del self._gates[stale]
            gate = self._gates[loop] = asyncio.Semaphore(IN_FLIGHT)
        return gate

    async def append(self, group: str, prefixes: list[str]) -> tuple[Position, list[str]]:
        keys, index = self._keys(group)
        ttl = max(1, round(_ttl()))
        epoch, last = await self._eval(_APPEND, keys, index, new_epoch(), _size(), ttl, *prefixes)
        last = int(last)
        first = last - len(prefixes) + 1
        frames = [close_frame(p, first + i) for i, p in enumerate(prefixes)]
        return Position(last, _text(epoch)), frames

    async def positions(self, groups: Iterable[str]) -> dict[str, Position]:
        ttl = max(1, round(_ttl()))
        result: dict[str, Position] = {}
        for group in groups:
            keys, index = self._keys(group)
            epoch, seq = await self._eval(_POSITION, keys, index, new_epoch(), ttl)
            result[group] = Position(int(seq), _text(epoch))
        return result

    async def since(self, group: str, position: Position) -> list[str] | None:
        keys, index = self._keys(group)
        frames = await self._eval(_SINCE, keys, index, position.epoch, position.seq)
        if frames is None:
            return None
        return [_text(f) for f in frames]

    async def instance(self) -> str:
        names = []
        for index in range(len(self.hosts)):
            key = f"{self.prefix}:hyper:instance"
            names.append(_text(await self._eval(_INSTANCE, [key], index, new_epoch())))
        return ",".join(names)

    def positions_now(self, groups: Iterable[str]) -> dict[str, Position]:
        """``positions`` for sync code, with a blocking client."""
        ttl = max(1, round(_ttl()))
        result: dict[str, Position] = {}
        for group in groups:
            keys, index = self._keys(group)
            client = self._sync_client(index)
            epoch, seq = client.eval(_POSITION, len(keys), *keys, new_epoch(), ttl)
            result[group] = Position(int(seq), _text(epoch))
        return result

    def _sync_client(self, index: int) -> Any:
        import redis

        with self._sync_lock:
            client = self._sync_clients.get(index)
            if client is None:
                host = dict(self.hosts[index])
                address = host.pop("address", None)
                for key in ("master_name", "sentinels", "sentinel_kwargs"):
                    host.pop(key, None)
                client = redis.Redis.from_url(address, **host) if address else redis.Redis(**host)
                self._sync_clients[index] = client
            return client


def _decode_hosts(hosts: Any) -> list[dict[str, Any]]:
    from channels_redis.utils import decode_hosts

    decoded: list[dict[str, Any]] = decode_hosts(hosts)
    return decoded


def _hash(name: str, ring: int) -> int:
    from channels_redis.utils import _consistent_hash

    index: int = _consistent_hash(name, ring)
    return index


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


# Which history a layer has --------------------------------------------------------------

_histories: weakref.WeakKeyDictionary[Any, History] = weakref.WeakKeyDictionary()
_histories_lock = threading.Lock()


def history_for(layer: Any) -> History:
    """The history of ``layer``: in Redis for channels_redis' layers, else in this process."""
    with _histories_lock:
        found = _histories.get(layer)
        if found is None:
            module = type(layer).__module__
            found = RedisHistory(layer) if module.startswith("channels_redis") else InProcessHistory()
            _histories[layer] = found
        return found


def positions_now(layer: Any, groups: Iterable[str]) -> dict[str, Position]:
    """Current positions from sync code (template tags, ``sign_stream``), on any thread."""
    history = history_for(layer)
    assert isinstance(history, (InProcessHistory, RedisHistory))
    return history.positions_now(groups)


def recovery_on() -> bool:
    """``HISTORY_SIZE`` 0 turns recovery off: pushes carry no position, nothing is kept."""
    return _size() > 0



