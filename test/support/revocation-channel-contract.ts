/**
 * The cross-instance `RevocationChannel` contract: every transport (PostgreSQL LISTEN/NOTIFY, Redis
 * pub/sub) runs this suite against a real server. It only talks to the channel through its public
 * interface and the hooks below, so a new transport passes it or is not done.
 */
import { performance } from 'node:perf_hooks';
import { UnavailableError, type Logger, type RevocationChannel, type RevocationEvent } from '@gatehouse-auth/core';
import { afterEach, describe, expect, it } from 'vitest';

/** What the cross-instance channels add to `RevocationChannel`. */
export interface RevocationChannelUnderTest extends RevocationChannel {
  isLive(): boolean;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Omitted: the transport's default channel. */
  channel?: string;
  logger: Logger;
}

/** One instance whose connection the test can take away while the other instances keep theirs. */
export interface Severable {
  readonly channel: RevocationChannelUnderTest;
  /** Drops this instance's connection(s) and refuses new ones until `restore`. All or nothing: it never leaves a half cut behind. */
  cut(): Promise<void>;
  /** Accepts the instance's connections again. */
  restore(): Promise<void>;
  /** Releases what the cut needed; runs after the test closed its channels. */
  dispose?(): Promise<void>;
}

export interface RevocationChannelHooks {
  /** The channel an instance uses when told none. */
  readonly defaultChannel: string;
  /** Part of the warning a channel logs when it loses its connection. */
  readonly lossWarning: string;
  /** A channel name no other test uses, so nothing leaks between tests sharing the server. */
  freshChannelName(): string;
  /** A channel on the suite's server. The contract subscribes (or not) and closes it. */
  open(options: OpenOptions): Promise<RevocationChannelUnderTest>;
  /** A channel on the suite's server through a connection the test can cut (see `Severable`). */
  openSeverable(options: Required<OpenOptions>): Promise<Severable>;
  /** Creates a channel pointed at a server that is not there; expected to reject. */
  openUnreachable(): Promise<unknown>;
  /** Puts raw payloads on `channel`, in order and over one connection, as any client of the server could. */
  sendRaw(channel: string, payloads: readonly string[]): Promise<void>;
  /** How many connections the server has subscribed to `channel`, where the transport can tell. */
  subscriberCount?(channel: string): Promise<number>;
}

export interface Recorded {
  readonly events: RevocationEvent[];
  readonly warnings: string[];
  readonly logger: Logger;
}

export function recorder(): Recorded {
  const events: RevocationEvent[] = [];
  const warnings: string[] = [];
  return { events, warnings, logger: { info() {}, warn: (message) => warnings.push(message), error() {} } };
}

export async function waitFor(what: string, predicate: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!predicate()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - started;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** None of these may reach a listener, and each is logged as malformed. */
const MALFORMED: readonly string[] = [
  'not json',
  '',
  '[]',
  '{}',
  'null',
  JSON.stringify({ e: { type: 'all' } }),
  JSON.stringify({ o: '', e: { type: 'all' } }),
  JSON.stringify({ o: 5, e: { type: 'all' } }),
  JSON.stringify({ o: 'elsewhere', e: { type: 'everything' } }),
  JSON.stringify({ o: 'elsewhere', e: { type: 'user' } }),
  JSON.stringify({ o: 'elsewhere', e: { type: 'user', userId: '7' } }),
  JSON.stringify({ o: 'elsewhere', e: { type: 'session', sessionId: 1.5 } }),
  JSON.stringify({ o: 'elsewhere', e: { type: 'api_key', apiKeyId: 2 ** 53 } }),
  JSON.stringify({ o: 'elsewhere', e: { type: 'user_sessions', sessionId: 3 } }),
  JSON.stringify({ o: 'elsewhere', e: null }),
  JSON.stringify({ o: 'elsewhere', e: [{ type: 'all' }] }),
];

export function revocationChannelContract(name: string, hooks: RevocationChannelHooks): void {
  describe(`RevocationChannel contract: ${name}`, () => {
    const opened: RevocationChannelUnderTest[] = [];
    const disposers: (() => Promise<void>)[] = [];

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((channel) => channel.close()));
      for (const dispose of disposers.splice(0)) await dispose();
    });

    function recordInto(channel: RevocationChannelUnderTest, record: Recorded): RevocationChannelUnderTest {
      opened.push(channel);
      channel.subscribe((event) => record.events.push(event));
      return channel;
    }

    async function open(channel: string, record: Recorded): Promise<RevocationChannelUnderTest> {
      return recordInto(await hooks.open({ channel, logger: record.logger }), record);
    }

    async function openSeverable(channel: string, record: Recorded): Promise<Severable> {
      const severable = await hooks.openSeverable({ channel, logger: record.logger });
      disposers.push(async () => {
        await severable.dispose?.();
      });
      recordInto(severable.channel, record);
      return severable;
    }

    it('carries events between instances within 100 ms and never echoes them to their publisher', async () => {
      const name = hooks.freshChannelName();
      const a = recorder();
      const b = recorder();
      const channelA = await open(name, a);
      const channelB = await open(name, b);
      expect(channelA.isLive()).toBe(true);
      expect(channelB.isLive()).toBe(true);

      const fromA: RevocationEvent = { type: 'user', userId: 7 };
      const started = performance.now();
      const publishing = channelA.publish(fromA);
      // Local listeners ran before publish gave control back.
      expect(a.events).toEqual([fromA]);
      await publishing;
      await waitFor('B to receive A’s event', () => b.events.length === 1, 100);
      expect(performance.now() - started).toBeLessThan(100);
      expect(b.events).toEqual([fromA]);

      const fromB: RevocationEvent = { type: 'session', sessionId: 12 };
      await channelB.publish(fromB);
      await waitFor('A to receive B’s event', () => a.events.length === 2, 100);

      // Long enough for any echo of their own messages to have come back.
      await sleep(150);
      expect(a.events).toEqual([fromA, fromB]);
      expect(b.events).toEqual([fromA, fromB]);
    });

    it(`uses \`${hooks.defaultChannel}\` unless told otherwise, and stops delivering to an unsubscribed listener`, async () => {
      const a = recorder();
      const channel = await hooks.open({ logger: a.logger });
      opened.push(channel);
      const unsubscribe = channel.subscribe((event) => a.events.push(event));
      if (hooks.subscriberCount) expect(await hooks.subscriberCount(hooks.defaultChannel)).toBe(1);
      await hooks.sendRaw(hooks.defaultChannel, [JSON.stringify({ o: 'elsewhere', e: { type: 'user', userId: 1 } })]);
      await waitFor('the event on the default channel', () => a.events.length === 1, 1_000);
      unsubscribe();
      await hooks.sendRaw(hooks.defaultChannel, [JSON.stringify({ o: 'elsewhere', e: { type: 'user', userId: 2 } })]);
      await sleep(50);
      expect(a.events).toEqual([{ type: 'user', userId: 1 }]);
    });

    it('drops malformed messages and passes only the known fields of valid ones', async () => {
      const name = hooks.freshChannelName();
      const a = recorder();
      await open(name, a);

      await hooks.sendRaw(name, [
        ...MALFORMED,
        JSON.stringify({ o: 'elsewhere', e: { type: 'api_key', apiKeyId: 4, role: 'ADMIN' } }),
        JSON.stringify({ o: 'elsewhere', e: { type: 'all' } }),
      ]);

      // One connection's messages arrive in order: once the last one is here, all were handled.
      await waitFor('the final valid event', () => a.events.length === 2, 2_000);
      expect(a.events).toStrictEqual([{ type: 'api_key', apiKeyId: 4 }, { type: 'all' }]);
      expect(a.warnings.filter((message) => message.includes('malformed'))).toHaveLength(MALFORMED.length);
    });

    it('goes dead when its connection is cut, keeps publishing locally, and catches up after the reconnect', async () => {
      const name = hooks.freshChannelName();
      const a = recorder();
      const b = recorder();
      const severable = await openSeverable(name, a);
      const channelA = severable.channel;
      const channelB = await open(name, b);

      const queued: RevocationEvent[] = [
        { type: 'user_sessions', userId: 42 },
        { type: 'user', userId: 1 },
        { type: 'session', sessionId: 2 },
        { type: 'api_key', apiKeyId: 3 },
      ];
      const fromB: RevocationEvent = { type: 'user_sessions', userId: 9 };

      await severable.cut();
      try {
        await waitFor('A to notice its connection is gone', () => !channelA.isLive(), 500);
        expect(a.warnings.some((message) => message.includes(hooks.lossWarning))).toBe(true);
        expect(channelB.isLive()).toBe(true);

        for (const event of queued) await channelA.publish(event);
        expect(a.events).toEqual(queued);
        // Meanwhile B publishes; A cannot hear it.
        await channelB.publish(fromB);

        // Several failed reconnects (100, 200, 400 ms…): still dead, nothing reached B.
        await sleep(400);
        expect(channelA.isLive()).toBe(false);
        expect(a.events).toEqual(queued);
        expect(b.events).toEqual([fromB]);
        expect(channelB.isLive()).toBe(true);
      } finally {
        await severable.restore();
      }

      // Backoff is capped at 1 s.
      await waitFor('A to listen again', () => channelA.isLive(), 2_500);
      // It may have missed B's event: it tells its own listeners to forget everything.
      expect(a.events).toEqual([...queued, { type: 'all' }]);
      await waitFor('the queued events to reach B', () => b.events.length === 1 + queued.length, 1_000);
      expect(b.events).toEqual([fromB, ...queued]);

      // And the new connection carries traffic both ways.
      await channelB.publish({ type: 'session', sessionId: 5 });
      await waitFor('A to receive B’s event after the reconnect', () => a.events.length === queued.length + 2, 1_000);
      await channelA.publish({ type: 'api_key', apiKeyId: 6 });
      await waitFor('B to receive A’s event after the reconnect', () => b.events.length === queued.length + 3, 1_000);
      expect(b.events).toEqual([fromB, ...queued, { type: 'session', sessionId: 5 }, { type: 'api_key', apiKeyId: 6 }]);
      expect(a.events).toEqual([
        ...queued,
        { type: 'all' },
        { type: 'session', sessionId: 5 },
        { type: 'api_key', apiKeyId: 6 },
      ]);
    });

    it('collapses an overflowing backlog into one { type: all } for the other instances', async () => {
      const name = hooks.freshChannelName();
      const a = recorder();
      const b = recorder();
      const severable = await openSeverable(name, a);
      const channelA = severable.channel;
      await open(name, b);

      await severable.cut();
      try {
        await waitFor('A to notice its connection is gone', () => !channelA.isLive(), 500);
        for (let userId = 1; userId <= 1_001; userId++) await channelA.publish({ type: 'user', userId });
        expect(a.events).toHaveLength(1_001);
        expect(a.warnings.some((message) => message.includes('backlog overflowed'))).toBe(true);
      } finally {
        await severable.restore();
      }

      await waitFor('A to listen again', () => channelA.isLive(), 2_500);
      await waitFor('the collapsed backlog to reach B', () => b.events.length > 0, 1_000);
      await sleep(100);
      expect(b.events).toEqual([{ type: 'all' }]);
    });

    it('after close: not live, no reconnect, publish still reaches local listeners', async () => {
      const name = hooks.freshChannelName();
      const a = recorder();
      const b = recorder();
      const channelA = await open(name, a);
      await open(name, b);
      await channelA.close();
      await channelA.close();
      expect(channelA.isLive()).toBe(false);
      await channelA.publish({ type: 'user', userId: 1 });
      expect(a.events).toEqual([{ type: 'user', userId: 1 }]);
      await sleep(150);
      expect(b.events).toEqual([]);
      expect(channelA.isLive()).toBe(false);
      // Only B is still subscribed.
      if (hooks.subscriberCount) expect(await hooks.subscriberCount(name)).toBe(1);
    });

    it('refuses to start without its server, and rejects an empty channel name', async () => {
      await expect(hooks.openUnreachable()).rejects.toBeInstanceOf(UnavailableError);
      await expect(hooks.open({ channel: '', logger: recorder().logger })).rejects.toBeInstanceOf(TypeError);
    });
  });
}
