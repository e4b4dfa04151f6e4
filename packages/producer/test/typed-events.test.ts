/**
 * The SDK's topic → event map. The `@ts-expect-error` lines are checked by `npm test`'s typecheck
 * (packages/producer/tsconfig.json includes test/): each must BE a compile error, or tsc fails on the
 * unused directive. At run time the same mistakes are refused by validation before anything is sent.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ProduceRecord, Producer } from '@cs/kafka';
import { decodeEvent, type CallEvent, type SessionEvent } from '@cs/schemas';
import { InvalidEventError, pseudonymizer, PseudonymizeKeyError, wrapProducer, type EventInput, type TopicEventInput } from '@cs/producer';

const call: CallEvent = {
  event_id: 'c1-offered', event_time: Date.parse('2026-03-01T10:00:00Z'), business_unit: 'cards', product: 'credit-card', type: 'OFFERED',
  call_id: 'c1', session_id: null, user_id: 'u1', queue: 'general', agent_id: null, site_type: null, wait_ms: null, talk_ms: null, hold_ms: null, acw_ms: null,
};
const session: SessionEvent = {
  event_id: 's1-started', event_time: Date.parse('2026-03-01T10:00:00Z'), business_unit: 'cards', product: 'credit-card', type: 'STARTED',
  session_id: 's1', user_id: 'u1', channel: 'APP', entry: 'SELF_SERVICE', intent: null, agent_id: null,
};

/** A fake broker connection (unit test): records what would have been sent. */
function fakeProducer(): Producer & { sent: ProduceRecord[] } {
  const sent: ProduceRecord[] = [];
  return { sent, connect: async () => undefined, send: async (records) => void sent.push(...records), disconnect: async () => undefined };
}

describe('typed topic → event map', () => {
  it('accepts each topic with its own event type, optional fields left out and ISO or Date times', async () => {
    const fake = fakeProducer();
    const sdk = wrapProducer(fake);
    const minimal: EventInput<'cs.sessions'> = { event_id: 's2', event_time: '2026-03-01T10:00:00Z', business_unit: 'cards', product: 'credit-card', type: 'STARTED', session_id: 's2', user_id: 'u2', channel: 'WEB', entry: 'HUMAN' };
    await sdk.send([
      { topic: 'cs.calls', event: call },
      { topic: 'cs.sessions', event: session },
      { topic: 'cs.sessions', event: minimal },
      { topic: 'cs.agents', event: { event_id: 'a1', event_time: new Date('2026-03-01T08:00:00Z'), business_unit: 'cards', product: 'all', type: 'LOGGED_IN', agent_id: 'ag1', site_type: 'IN_HOUSE' } },
    ]);
    expect(fake.sent.map((r) => r.topic)).toEqual(['cs.calls', 'cs.sessions', 'cs.sessions', 'cs.agents']);
    const agent = decodeEvent('cs.agents', fake.sent[3]!.value);
    expect(agent.ok && agent.event.event_time).toBe(Date.parse('2026-03-01T08:00:00Z'));
  });

  it('makes a wrong pairing a compile error, and refuses it at run time before sending anything', async () => {
    const fake = fakeProducer();
    const sdk = wrapProducer(fake);
    const wrong = async () => {
      // @ts-expect-error a call event is not a cs.sessions event
      await sdk.send([{ topic: 'cs.sessions', event: call }]);
    };
    await expect(wrong()).rejects.toBeInstanceOf(InvalidEventError);
    await expect(wrong()).rejects.toThrow(/event 0 \(cs\.sessions\) is invalid: .*channel: is required/);

    // @ts-expect-error a session event is not a cs.calls event
    const asCall: TopicEventInput = { topic: 'cs.calls', event: session };
    // @ts-expect-error OFFERED is not a `type` of cs.sessions
    const wrongType: EventInput<'cs.sessions'> = { ...session, type: 'OFFERED' };
    // @ts-expect-error session_id is required on every session event
    const missing: EventInput<'cs.sessions'> = { event_id: 'x', event_time: 0, business_unit: 'b', product: 'p', type: 'ENDED', user_id: 'u', channel: 'APP' };
    // @ts-expect-error unknown topic
    const unknownTopic: TopicEventInput = { topic: 'cs.nope', event: session };
    await expect(sdk.send([asCall])).rejects.toThrow(/\(cs\.calls\) is invalid/);
    await expect(sdk.send([{ topic: 'cs.sessions', event: wrongType }])).rejects.toThrow(/type: must be one of STARTED/);
    await expect(sdk.send([{ topic: 'cs.sessions', event: missing }])).rejects.toThrow(/session_id: is required/);
    await expect(sdk.send([session, call].map((event) => ({ topic: 'cs.sessions', event }) as TopicEventInput))).rejects.toThrow(/event 1/);
    expect(unknownTopic.topic).toBe('cs.nope');
    expect(fake.sent).toEqual([]); // all or nothing: the valid event of the last call was not sent either
  });
});

describe('user_id pseudonymisation', () => {
  const key = 'k'.repeat(40);
  const hmac = (id: string) => createHmac('sha256', key).update(id).digest('hex');

  it('replaces user_id (and so the message key) with HMAC-SHA256(key, user_id) on every topic that has one', async () => {
    const fake = fakeProducer();
    await wrapProducer(fake, { pseudonymize: pseudonymizer(key) }).send([
      { topic: 'cs.sessions', event: session },
      { topic: 'cs.calls', event: call },
      { topic: 'cs.agents', event: { event_id: 'a1', event_time: 0, business_unit: 'cards', product: 'all', type: 'LOGGED_IN', agent_id: 'ag1', site_type: 'IN_HOUSE' } },
    ]);
    const [s, c, a] = fake.sent;
    const decoded = decodeEvent('cs.sessions', s!.value);
    expect(decoded.ok && decoded.event.user_id).toBe(hmac('u1'));
    expect(s!.key).toBe(hmac('u1'));
    expect(c!.key).toBe(hmac('u1')); // the same user has the same pseudonym on every topic
    expect(a!.key).toBe('ag1'); // agents have no user_id
    expect(session.user_id).toBe('u1'); // the caller's object is left as it was
  });

  it('sends user_id as given without a key, and refuses a short key', async () => {
    const fake = fakeProducer();
    await wrapProducer(fake).send([{ topic: 'cs.sessions', event: session }]);
    expect(fake.sent[0]!.key).toBe('u1');
    expect(() => pseudonymizer('short')).toThrow(PseudonymizeKeyError);
    expect(() => pseudonymizer('short')).not.toThrow(/short/); // the message never echoes the key
  });
});
