import { describe, expect, it } from 'vitest';
import {
  REVOCATION_ALL,
  createRevocationRelay,
  decodeRevocationMessage,
  encodeRevocationMessage,
} from '../../src/revocation/index.js';
import type { RevocationEvent } from '../../src/ports.js';

function capture() {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('createRevocationRelay', () => {
  it('delivers messages from other instances, skips its own, and drops malformed ones with a warning', () => {
    const log = capture();
    const relay = createRevocationRelay({ logger: log.logger });
    const seen: RevocationEvent[] = [];
    relay.subscribe((event) => seen.push(event));
    relay.receive(encodeRevocationMessage('another-instance', { type: 'user', userId: 7 }), {});
    relay.receive(relay.encode({ type: 'user', userId: 8 }), {});
    relay.receive('{"o":"x","e":{"type":"user","userId":"7; DROP"}}', { channel: 'c' });
    relay.receive(undefined, { channel: 'c' });
    expect(seen).toEqual([{ type: 'user', userId: 7 }]);
    expect(log.lines.filter((l) => l.message.includes('malformed'))).toHaveLength(2);
  });

  it('keeps delivering to the other listeners when one throws, and unsubscribes', () => {
    const log = capture();
    const relay = createRevocationRelay({ logger: log.logger });
    const seen: RevocationEvent[] = [];
    relay.subscribe(() => {
      throw new Error('boom');
    });
    const off = relay.subscribe((event) => seen.push(event));
    relay.deliver(REVOCATION_ALL);
    off();
    relay.deliver(REVOCATION_ALL);
    expect(seen).toEqual([REVOCATION_ALL]);
    expect(log.lines.some((l) => l.level === 'error' && l.message === 'revocation listener threw')).toBe(true);
  });

  it('holds messages in order (failed sends in front) and collapses an overflow into one "all"', () => {
    const log = capture();
    const relay = createRevocationRelay({ logger: log.logger, maxHeld: 3 });
    relay.hold(['b', 'c']);
    relay.hold(['a'], true);
    expect(relay.takeHeld()).toEqual(['a', 'b', 'c']);
    expect(relay.takeHeld()).toEqual([]);
    relay.hold(['1', '2', '3', '4']);
    const [only, ...rest] = relay.takeHeld();
    expect(rest).toEqual([]);
    expect(decodeRevocationMessage(only!)).toEqual({ origin: relay.origin, event: REVOCATION_ALL });
    expect(log.lines.some((l) => l.message.includes('backlog overflowed'))).toBe(true);
  });
});
