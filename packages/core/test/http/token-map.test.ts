import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTokenMap, tokenBucket, tokenCheck } from '../../src/http/token-map.js';

// Same length and same last 8 characters: the same bucket, whatever the rest says.
const sameBucket = (prefix: string) => `${prefix}.payload.SIGNATURE-TAIL-xyzABC12`;

describe('createTokenMap', () => {
  it('finds a token only by the whole token, also when tokens share a bucket', () => {
    const a = sameBucket('aaaa');
    const b = sameBucket('bbbb');
    const forged = sameBucket('cccc');
    expect(tokenBucket(a)).toBe(tokenBucket(b));
    expect(tokenBucket(a)).toBe(tokenBucket(forged));
    // Both numbers agree too: only the full comparison can tell these apart.
    expect(tokenCheck(a)).toBe(tokenCheck(forged));

    const map = createTokenMap<number>();
    map.set(a, 1);
    map.set(b, 2);
    expect(map.get(a)).toBe(1);
    expect(map.get(b)).toBe(2);
    expect(map.get(forged)).toBeUndefined();
    expect(map.get(a.slice(0, -1))).toBeUndefined();
    expect(map.get(`${a}x`)).toBeUndefined();
    expect(map.size).toBe(2);
  });

  it('keeps tokens apart that share a bucket but not the characters before it', () => {
    const a = 'header.payload.AAAAAAAAxyzABC12';
    const b = 'header.payload.BBBBBBBBxyzABC12';
    expect(tokenBucket(a)).toBe(tokenBucket(b));
    expect(tokenCheck(a)).not.toBe(tokenCheck(b));
    const map = createTokenMap<string>();
    map.set(a, 'a');
    expect(map.get(b)).toBeUndefined();
    map.set(b, 'b');
    expect([map.get(a), map.get(b), map.size]).toEqual(['a', 'b', 2]);
  });

  it('deletes from the head, middle and tail of a shared bucket', () => {
    const tokens = ['head', 'mid1', 'mid2', 'tail'].map(sameBucket);
    for (const victim of tokens) {
      const map = createTokenMap<string>();
      for (const t of tokens) map.set(t, t);
      expect(map.delete(victim)).toBe(true);
      expect(map.delete(victim)).toBe(false);
      expect(map.size).toBe(3);
      for (const t of tokens) expect(map.get(t)).toBe(t === victim ? undefined : t);
    }
  });

  it('replaces a value in place and counts each token once', () => {
    const map = createTokenMap<number>();
    map.set('first', 1);
    map.set('second', 2);
    map.set('first', 3);
    expect(map.get('first')).toBe(3);
    expect(map.size).toBe(2);
    expect(map.oldest()).toBe('first');
  });

  it('names the oldest entry first, then the next once it is gone', () => {
    const map = createTokenMap<number>();
    expect(map.oldest()).toBeUndefined();
    for (let i = 0; i < 5; i++) map.set(`token-${i}-abcdefgh${i}`, i);
    expect(map.oldest()).toBe('token-0-abcdefgh0');
    map.delete('token-0-abcdefgh0');
    expect(map.oldest()).toBe('token-1-abcdefgh1');
    map.clear();
    expect(map.size).toBe(0);
    expect(map.oldest()).toBeUndefined();
    expect(map.get('token-1-abcdefgh1')).toBeUndefined();
  });

  it('handles tokens shorter than the part that picks the bucket, and the empty token', () => {
    const map = createTokenMap<number>();
    map.set('', 0);
    map.set('a', 1);
    map.set('ab', 2);
    expect([map.get(''), map.get('a'), map.get('ab'), map.get('b')]).toEqual([0, 1, 2, undefined]);
  });

  it('puts 10,000 random signatures in nearly as many buckets', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const buckets = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      let signature = '';
      for (let j = 0; j < 43; j++) signature += alphabet[Math.floor(Math.random() * alphabet.length)];
      buckets.add(tokenBucket(`eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.${signature}`));
    }
    // 30-bit buckets: about 0.05 expected collisions among 10,000 random tails.
    expect(buckets.size).toBeGreaterThanOrEqual(9_995);
  });
});

describe('createTokenMap behaves as a Map<string, V> (model-based)', () => {
  // A small alphabet and shared tails make bucket collisions the common case, not the rare one.
  const token = fc
    .tuple(fc.constantFrom('', 'a', 'ab', 'abc', 'x.y'), fc.constantFrom('', 'TAIL1234', 'TAIL5678', 'T'))
    .map(([head, tail]) => head + tail);
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), token, value: fc.integer() }),
    fc.record({ kind: fc.constant('delete' as const), token }),
    fc.record({ kind: fc.constant('get' as const), token }),
    fc.record({ kind: fc.constant('clear' as const) }),
  );

  it('answers every get, delete and size like the model after any sequence of operations', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const model = new Map<string, number>();
        const map = createTokenMap<number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            model.set(o.token, o.value);
            map.set(o.token, o.value);
          } else if (o.kind === 'delete') expect(map.delete(o.token)).toBe(model.delete(o.token));
          else if (o.kind === 'get') expect(map.get(o.token)).toBe(model.get(o.token));
          else {
            model.clear();
            map.clear();
          }
          expect(map.size).toBe(model.size);
          const oldest = map.oldest();
          if (model.size === 0) expect(oldest).toBeUndefined();
          else expect(model.has(oldest as string)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
