"""The delivery queue on Redis, for deployments whose web workers run on several machines.

Same state machine and behaviour as the SQLite queue. Every transition is one Lua script,
which Redis runs atomically: two workers never claim the same item, and the per-host
limit is counted in the same step as the claim.

Keys (under a prefix, `communecter:deliveries:` unless the URL's `?prefix=` says
otherwise):

- `due` sorted set: pending items by the time they may next be claimed (a claimed item
  sits there at its claim's end, so it comes back by itself if its worker dies);
- `item:{key}` hash: the item (activity id, inbox, host, signer, body, state, attempts…);
- `hostdue:{host}` sorted set: the host's pending items by next attempt;
  `hostfailed:{host}` set: its failed items; `inflight:{host}` sorted set: its claims by
  end time; `host:{host}` hash: failures in a row, pause, signature format, last error;
- `hosts` set, `delivered` and `failed` sorted sets (by finish time) for the view,
  counts and pruning.

The queue is as durable as the Redis server: run it with `appendonly yes` (the tests' and
the benchmark's throw-away servers do without) so that a restart of Redis itself loses
nothing.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from federation.delivery.backoff import max_age
from federation.delivery.base import (
    CLAIM_SECONDS,
    KEEP_DELIVERED,
    Delivery,
    DeliveryQueue,
    HostStatus,
    NewDelivery,
    QueueError,
    delivery_key,
)

DEFAULT_PREFIX = "communecter:deliveries:"
SCAN = 2000
ENQUEUE_BATCH = 500

_ENQUEUE = """
local p, now, give_up = ARGV[1], ARGV[2], ARGV[3]
local new = 0
for i = 4, #ARGV, 6 do
  local key, host = ARGV[i], ARGV[i + 3]
  local item = p .. 'item:' .. key
  if redis.call('EXISTS', item) == 0 then
    redis.call('HSET', item, 'activity_id', ARGV[i + 1], 'inbox', ARGV[i + 2], 'host', host,
      'signer', ARGV[i + 4], 'body', ARGV[i + 5], 'state', 'pending', 'attempts', 0,
      'give_up_at', give_up, 'created', now, 'next_attempt', now, 'claimed_until', 0,
      'last_error', '')
    redis.call('ZADD', p .. 'due', now, key)
    redis.call('ZADD', p .. 'hostdue:' .. host, now, key)
    redis.call('SADD', p .. 'hosts', host)
    new = new + 1
  end
end
return new
"""

_CLAIM = """
local p, now, till = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local limit, per_host, scan = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local keys = redis.call('ZRANGEBYSCORE', p .. 'due', '-inf', now, 'LIMIT', 0, scan)
local out, busy, paused = {}, {}, {}
for _, key in ipairs(keys) do
  if #out >= limit then break end
  local item = p .. 'item:' .. key
  local host = redis.call('HGET', item, 'host')
  if not host then
    redis.call('ZREM', p .. 'due', key)
  else
    if paused[host] == nil then
      paused[host] = tonumber(redis.call('HGET', p .. 'host:' .. host, 'paused_until') or '0')
    end
    if paused[host] > now then
      redis.call('ZADD', p .. 'due', paused[host], key)
    else
      if busy[host] == nil then
        redis.call('ZREMRANGEBYSCORE', p .. 'inflight:' .. host, '-inf', now)
        busy[host] = redis.call('ZCARD', p .. 'inflight:' .. host)
      end
      if busy[host] < per_host then
        busy[host] = busy[host] + 1
        redis.call('ZADD', p .. 'due', till, key)
        redis.call('ZADD', p .. 'inflight:' .. host, till, key)
        redis.call('HINCRBY', item, 'attempts', 1)
        redis.call('HSET', item, 'claimed_until', till)
        local f = redis.call('HMGET', item, 'activity_id', 'inbox', 'signer', 'body',
                             'attempts', 'give_up_at')
        out[#out + 1] = {key, f[1], f[2], host, f[3], f[4], f[5], f[6]}
      end
    end
  end
end
return out
"""

_DELIVERED = """
local p, key, host, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local item = p .. 'item:' .. key
if redis.call('HGET', item, 'state') ~= 'pending' then return 0 end
redis.call('HSET', item, 'state', 'delivered', 'finished', now, 'last_error', '',
           'claimed_until', 0)
redis.call('HDEL', item, 'body')
redis.call('ZREM', p .. 'due', key)
redis.call('ZREM', p .. 'hostdue:' .. host, key)
redis.call('ZREM', p .. 'inflight:' .. host, key)
redis.call('ZADD', p .. 'delivered', now, key)
redis.call('HSET', p .. 'host:' .. host, 'failures', 0, 'paused_until', 0, 'last_success', now)
return 1
"""

_RETRY = """
local p, key, host, at, err = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local item = p .. 'item:' .. key
if redis.call('HGET', item, 'state') ~= 'pending' then return 0 end
redis.call('HSET', item, 'next_attempt', at, 'claimed_until', 0, 'last_error', err)
redis.call('ZADD', p .. 'due', at, key)
redis.call('ZADD', p .. 'hostdue:' .. host, at, key)
redis.call('ZREM', p .. 'inflight:' .. host, key)
return 1
"""

_RELEASE = """
local p, key, host = ARGV[1], ARGV[2], ARGV[3]
local item = p .. 'item:' .. key
if redis.call('HGET', item, 'state') ~= 'pending' then return 0 end
local at = redis.call('HGET', item, 'next_attempt')
redis.call('HSET', item, 'claimed_until', 0)
if tonumber(redis.call('HGET', item, 'attempts') or '0') > 0 then
  redis.call('HINCRBY', item, 'attempts', -1)
end
redis.call('ZADD', p .. 'due', at, key)
redis.call('ZREM', p .. 'inflight:' .. host, key)
return 1
"""

_FAILED = """
local p, key, host, now, err = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local item = p .. 'item:' .. key
if redis.call('HGET', item, 'state') ~= 'pending' then return 0 end
redis.call('HSET', item, 'state', 'failed', 'finished', now, 'last_error', err,
           'claimed_until', 0)
redis.call('ZREM', p .. 'due', key)
redis.call('ZREM', p .. 'hostdue:' .. host, key)
redis.call('ZREM', p .. 'inflight:' .. host, key)
redis.call('ZADD', p .. 'failed', now, key)
redis.call('SADD', p .. 'hostfailed:' .. host, key)
redis.call('HSET', p .. 'host:' .. host, 'last_error', err)
return 1
"""

_HOST_FAILED = """
local p, host, now, err, pause = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local hk = p .. 'host:' .. host
local n = redis.call('HINCRBY', hk, 'failures', 1)
redis.call('HSET', hk, 'last_error', err)
if pause > 0 then
  local till = now + pause
  redis.call('HSET', hk, 'paused_until', till)
  local keys = redis.call('ZRANGEBYSCORE', p .. 'hostdue:' .. host, '-inf', '(' .. till)
  for _, key in ipairs(keys) do
    redis.call('ZADD', p .. 'hostdue:' .. host, till, key)
    redis.call('ZADD', p .. 'due', 'GT', till, key)
    redis.call('HSET', p .. 'item:' .. key, 'next_attempt', till)
  end
end
return n
"""

_RETRY_NOW = """
local p, host, now, give_up = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local count = 0
for _, key in ipairs(redis.call('ZRANGE', p .. 'hostdue:' .. host, 0, -1)) do
  local until_ = tonumber(redis.call('HGET', p .. 'item:' .. key, 'claimed_until') or '0')
  if until_ <= now then redis.call('ZADD', p .. 'due', now, key) end
  redis.call('ZADD', p .. 'hostdue:' .. host, now, key)
  redis.call('HSET', p .. 'item:' .. key, 'next_attempt', now)
  count = count + 1
end
for _, key in ipairs(redis.call('SMEMBERS', p .. 'hostfailed:' .. host)) do
  local item = p .. 'item:' .. key
  local g = math.max(tonumber(redis.call('HGET', item, 'give_up_at') or '0'), give_up)
  redis.call('HSET', item, 'state', 'pending', 'next_attempt', now, 'give_up_at', g)
  redis.call('HDEL', item, 'finished')
  redis.call('ZADD', p .. 'due', now, key)
  redis.call('ZADD', p .. 'hostdue:' .. host, now, key)
  redis.call('ZREM', p .. 'failed', key)
  count = count + 1
end
redis.call('DEL', p .. 'hostfailed:' .. host)
redis.call('HSET', p .. 'host:' .. host, 'paused_until', 0, 'failures', 0)
return count
"""

_PRUNE = """
local p, cutoff = ARGV[1], ARGV[2]
local keys = redis.call('ZRANGEBYSCORE', p .. 'delivered', '-inf', '(' .. cutoff, 'LIMIT', 0, 5000)
for _, key in ipairs(keys) do
  redis.call('DEL', p .. 'item:' .. key)
  redis.call('ZREM', p .. 'delivered', key)
end
return #keys
"""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _number(value: float) -> str:
    return repr(float(value))


class RedisDeliveryQueue(DeliveryQueue):
    def __init__(self, url: str, per_host: int | None = None) -> None:
        import redis

        parts = urlsplit(url)
        options = dict(parse_qsl(parts.query))
        self.prefix = options.pop("prefix", DEFAULT_PREFIX)
        clean = urlunsplit(parts._replace(query=urlencode(options)))
        if per_host is not None:
            self.per_host = per_host
        try:
            self.redis = redis.Redis.from_url(clean, socket_timeout=30,
                                              socket_connect_timeout=10)
        except ValueError as error:
            raise QueueError(f"bad Redis queue URL: {error}") from error
        self._scripts = {name: self.redis.register_script(text) for name, text in (
            ("enqueue", _ENQUEUE), ("claim", _CLAIM), ("delivered", _DELIVERED),
            ("retry", _RETRY), ("release", _RELEASE), ("failed", _FAILED),
            ("host_failed", _HOST_FAILED),
            ("retry_now", _RETRY_NOW), ("prune", _PRUNE))}

    def _run(self, name: str, *args: object) -> object:
        return self._scripts[name](args=[self.prefix, *args])

    def _insert(self, items: list[NewDelivery], now: float | None) -> int:
        now = time.time() if now is None else now
        new = 0
        for start in range(0, len(items), ENQUEUE_BATCH):
            args: list[object] = [_number(now), _number(now + max_age())]
            for item in items[start:start + ENQUEUE_BATCH]:
                args += [item.key, item.activity_id, item.inbox, item.host, item.signer,
                         item.body]
            new += int(self._run("enqueue", *args))  # type: ignore[arg-type]
        return new

    def claim(self, limit: int = 1, now: float | None = None) -> list[Delivery]:
        now = time.time() if now is None else now
        rows = self._run("claim", _number(now), _number(now + CLAIM_SECONDS), limit,
                         self.per_host, SCAN)
        return [Delivery(_text(r[0]), _text(r[1]), _text(r[2]), _text(r[3]), _text(r[4]),
                         bytes(r[5] or b""), int(r[6]), float(r[7]))
                for r in rows]  # type: ignore[union-attr]

    def delivered(self, item: Delivery, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self._run("delivered", item.key, item.host, _number(now))

    def release(self, item: Delivery) -> None:
        self._run("release", item.key, item.host)

    def retry_later(self, item: Delivery, error: str, delay: float,
                    now: float | None = None) -> None:
        now = time.time() if now is None else now
        if now + delay > item.give_up_at:
            self.failed(item, f"gave up after {item.attempts} attempts: {error}", now)
            return
        self._run("retry", item.key, item.host, _number(now + delay), error[:500])

    def failed(self, item: Delivery, error: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self._run("failed", item.key, item.host, _number(now), error[:500])

    def host_failed(self, host: str, error: str, pause: float,
                    now: float | None = None) -> int:
        now = time.time() if now is None else now
        return int(self._run("host_failed", host, _number(now), error[:500],
                             _number(pause)))  # type: ignore[arg-type]

    def host_failures(self, host: str) -> int:
        return int(self.redis.hget(f"{self.prefix}host:{host}", "failures") or 0)

    def signature_format(self, host: str) -> str | None:
        found = self.redis.hget(f"{self.prefix}host:{host}", "signature_format")
        return _text(found) if found else None

    def remember_format(self, host: str, format: str) -> None:
        self.redis.hset(f"{self.prefix}host:{host}", "signature_format", format)

    def next_due(self, now: float | None = None) -> float | None:
        found = self.redis.zrange(f"{self.prefix}due", 0, 0, withscores=True)
        return float(found[0][1]) if found else None

    def hosts(self) -> list[HostStatus]:
        now = time.time()
        p = self.prefix
        names = sorted(_text(h) for h in self.redis.smembers(f"{p}hosts"))
        pipe = self.redis.pipeline(transaction=False)
        for host in names:
            pipe.zcard(f"{p}hostdue:{host}")
            pipe.scard(f"{p}hostfailed:{host}")
            pipe.zcount(f"{p}inflight:{host}", f"({now!r}", "+inf")
            pipe.zrange(f"{p}hostdue:{host}", 0, 0, withscores=True)
            pipe.hgetall(f"{p}host:{host}")
        answers = pipe.execute()
        found = []
        for index, host in enumerate(names):
            pending, failed, flying, first, state = answers[index * 5:index * 5 + 5]
            if not pending and not failed:
                continue
            state = {_text(k): _text(v) for k, v in state.items()}
            found.append(HostStatus(
                host, int(pending), int(failed), int(flying), int(state.get("failures", 0)),
                float(state.get("paused_until", 0)),
                float(first[0][1]) if first else None, state.get("last_error", ""),
                float(state["last_success"]) if state.get("last_success") else None,
                state.get("signature_format")))
        found.sort(key=lambda h: (-h.pending, -h.failed, h.host))
        return found

    def retry_now(self, host: str, now: float | None = None) -> int:
        now = time.time() if now is None else now
        return int(self._run("retry_now", host, _number(now),
                             _number(now + max_age())))  # type: ignore[arg-type]

    def counts(self) -> dict[str, int]:
        p = self.prefix
        pipe = self.redis.pipeline(transaction=False)
        for name in ("due", "failed", "delivered"):
            pipe.zcard(f"{p}{name}")
        pending, failed, delivered = pipe.execute()
        return {"pending": int(pending), "failed": int(failed), "delivered": int(delivered)}

    def state_of(self, activity_id: str, inbox: str) -> str | None:
        found = self.redis.hget(f"{self.prefix}item:{delivery_key(activity_id, inbox)}",
                                "state")
        return _text(found) if found else None

    def prune(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        return int(self._run("prune", _number(now - KEEP_DELIVERED)))  # type: ignore[arg-type]

    def close(self) -> None:
        self.redis.close()
