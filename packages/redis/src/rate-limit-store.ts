import {
  UnavailableError,
  type ConsumeResult,
  type FailureRule,
  type RateLimitStore,
  type TokenBucketRule,
} from '@gatehouse-auth/core';
import type { Redis } from 'ioredis';

export interface RedisRateLimitStoreOptions {
  /** Put in front of every key this store writes. Default: `gatehouse:ratelimit:`. */
  prefix?: string;
}

const DEFAULT_PREFIX = 'gatehouse:ratelimit:';

// Lua's tostring keeps only 14 significant digits; %.17g round-trips every double, so the
// bucket holds exactly the numbers the in-memory store would.
// A TTL passes through '%d' (a float argument would reach PEXPIRE as "1e+15" and be refused),
// capped so that stays an exact integer; 1e15 ms is ~31 700 years.
const LUA_HELPERS = `
local function num(x) return string.format('%.17g', x) end
local function expire(key, ms)
  ms = math.min(math.ceil(ms), 1e15)
  if ms < 1 then
    redis.call('DEL', key)
  else
    redis.call('PEXPIRE', key, string.format('%d', ms))
  end
end
`;

/**
 * The memory store's token bucket, step for step in the same order (so the same floating-point
 * results). A bucket that would be full again is the same as no bucket, so it expires then.
 * ARGV: capacity, refillPerSecond, now. Returns { allowed 0|1, remaining, retryAfterMs }.
 */
const CONSUME_LUA = `${LUA_HELPERS}
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil or updated == nil then
  tokens = capacity
  updated = now
end
local elapsed = math.max(0, now - updated) / 1000
tokens = math.min(capacity, tokens + elapsed * refill)
local allowed = 0
local remaining = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
  remaining = math.floor(tokens)
else
  retry = math.ceil(((1 - tokens) / refill) * 1000)
end
redis.call('HSET', KEYS[1], 't', num(tokens), 'u', num(now))
if refill > 0 then
  expire(KEYS[1], ((capacity - tokens) / refill) * 1000)
end
return { allowed, num(remaining), num(retry) }
`;

/**
 * The memory store's failure counting. The record matters until it would be forgotten
 * (`forgetAfterMs` after the last failure) or, if later, until its block ends.
 * ARGV: maxAttempts, blockMs, forgetAfterMs, now. Returns { failures, blockedUntil or '' }.
 */
const RECORD_FAILURE_LUA = `${LUA_HELPERS}
local maxAttempts = tonumber(ARGV[1])
local blockMs = tonumber(ARGV[2])
local forgetAfter = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'n', 'b', 'l')
local failures = tonumber(state[1])
local blocked = tonumber(state[2])
local last = tonumber(state[3])
if failures == nil or last == nil or (blocked ~= nil and blocked <= now) or now - last >= forgetAfter then
  failures = 0
  blocked = nil
end
if blocked == nil then
  failures = failures + 1
  if failures >= maxAttempts then blocked = now + blockMs end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'n', num(failures), 'l', num(now))
local keep = forgetAfter
if blocked ~= nil then
  redis.call('HSET', KEYS[1], 'b', num(blocked))
  keep = math.max(keep, blocked - now)
end
expire(KEYS[1], keep)
if blocked == nil then return { num(failures), '' } end
return { num(failures), num(blocked) }
`;

// Names on the shared ioredis instance; two stores on one connection define the same scripts.
const CONSUME_COMMAND = 'gatehouseRateLimitConsume';
const RECORD_FAILURE_COMMAND = 'gatehouseRateLimitRecordFailure';

type ScriptCommand = (key: string, ...args: string[]) => Promise<unknown>;

/** ioredis adds `defineCommand` commands as methods it has no static type for. */
function defineScript(redis: Redis, name: string, lua: string): ScriptCommand {
  redis.defineCommand(name, { numberOfKeys: 1, lua });
  const command = (redis as unknown as Record<string, unknown>)[name];
  if (typeof command !== 'function') throw new TypeError(`ioredis did not define the ${name} command`);
  return (key, ...args) => (command as ScriptCommand).call(redis, key, ...args);
}

/** Lua's '%.17g' writes infinity as 'inf' (a bucket that never refills). */
function toNumber(value: unknown): number {
  if (value === 'inf') return Infinity;
  const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (Number.isNaN(parsed)) throw new TypeError('unexpected reply from a rate-limit script');
  return parsed;
}

function replyFields(reply: unknown, count: number): unknown[] {
  if (!Array.isArray(reply) || reply.length !== count) throw new TypeError('unexpected reply from a rate-limit script');
  return reply as unknown[];
}

async function unavailableOnError<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    // The routes answer 503 to this; a raw ioredis error would be a 500.
    throw new UnavailableError('Rate-limit store unavailable', { code: 'unavailable', cause: error });
  }
}

/**
 * Rate limits and lockouts shared by every instance that uses the same Redis. Each operation is
 * one atomic step on the server (a Lua script run with EVALSHA, or a single command), and every
 * key expires on its own once it no longer changes an answer. Redis being down is an
 * `UnavailableError`.
 *
 * @example
 * ```ts
 * const rateLimits = createRedisRateLimitStore(new Redis(process.env.REDIS_URL!));
 * const gh = await createGatehouse({ config, store, rateLimits });
 * ```
 */
export function createRedisRateLimitStore(redis: Redis, options: RedisRateLimitStoreOptions = {}): RateLimitStore {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const consumeScript = defineScript(redis, CONSUME_COMMAND, CONSUME_LUA);
  const recordFailureScript = defineScript(redis, RECORD_FAILURE_COMMAND, RECORD_FAILURE_LUA);
  const bucketKey = (key: string): string => `${prefix}bucket:${key}`;
  const failuresKey = (key: string): string => `${prefix}failures:${key}`;

  return {
    consume(key: string, rule: TokenBucketRule, now: number): Promise<ConsumeResult> {
      return unavailableOnError(async () => {
        const reply = await consumeScript(
          bucketKey(key),
          String(rule.capacity),
          String(rule.refillPerSecond),
          String(now),
        );
        const [allowed, remaining, retryAfterMs] = replyFields(reply, 3);
        return {
          allowed: toNumber(allowed) === 1,
          remaining: toNumber(remaining),
          retryAfterMs: toNumber(retryAfterMs),
        };
      });
    },

    recordFailure(key: string, rule: FailureRule, now: number) {
      return unavailableOnError(async () => {
        const reply = await recordFailureScript(
          failuresKey(key),
          String(rule.maxAttempts),
          String(rule.blockMs),
          String(rule.forgetAfterMs),
          String(now),
        );
        const [failures, blockedUntil] = replyFields(reply, 2);
        return { failures: toNumber(failures), blockedUntil: blockedUntil === '' ? null : toNumber(blockedUntil) };
      });
    },

    blockedUntil(key: string, now: number): Promise<number | null> {
      return unavailableOnError(async () => {
        const stored = await redis.hget(failuresKey(key), 'b');
        if (stored === null) return null;
        const until = toNumber(stored);
        return until > now ? until : null;
      });
    },

    clearFailures(key: string): Promise<void> {
      return unavailableOnError(async () => {
        await redis.del(failuresKey(key));
      });
    },
  };
}
