import { describe, it, expect } from 'vitest';
import { messageKey } from '../src/key.ts';
import { SAMPLES } from './samples.ts';

describe('messageKey (SPEC §2)', () => {
  it('keys contact, call, survey and outreach events by user_id', () => {
    expect(messageKey('cs.sessions', SAMPLES['cs.sessions'])).toBe('user-1');
    expect(messageKey('cs.calls', SAMPLES['cs.calls'])).toBe('user-1');
    expect(messageKey('cs.surveys', SAMPLES['cs.surveys'])).toBe('user-1');
    expect(messageKey('cs.outreach', SAMPLES['cs.outreach'])).toBe('user-1');
  });

  it('keys complaints, agents and QA by their own id', () => {
    expect(messageKey('cs.complaints', SAMPLES['cs.complaints'])).toBe('cmp-1');
    expect(messageKey('cs.agents', SAMPLES['cs.agents'])).toBe('agent-7');
    expect(messageKey('cs.qa', SAMPLES['cs.qa'])).toBe('rev-1');
  });
});
