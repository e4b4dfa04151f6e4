import { beforeAll, describe, expect, it } from 'vitest';
import { createTrafficGenerator } from '../src/generator.ts';
import { Summarizer, summarize, type TrafficSummary } from '../src/summary.ts';
import { DAY0, DAY_MS } from './helpers.ts';

const round = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v);

describe('one-day aggregate figures (default 100k contacts/day)', () => {
  let s: TrafficSummary;
  beforeAll(() => {
    s = summarize(createTrafficGenerator({ seed: 2024, start: DAY0 - 8 * 3_600_000, end: DAY0 + 16 * 3_600_000, timeZone: 'Asia/Shanghai' }), 'Asia/Shanghai');
    const { byType: _t, contactsByHour, ...rest } = s;
    console.log('one-day summary', JSON.stringify(rest, (_k, v: unknown) => round(v)), '\ncontacts by local hour', contactsByHour.join(' '));
  });

  it('volume ≈ contactsPerDay with 7 business units and ~60 products, skewed', () => {
    expect(s.contacts).toBeGreaterThan(90_000);
    expect(s.contacts).toBeLessThan(115_000);
    expect(s.businessUnits).toBe(7);
    expect(s.products).toBe(60);
    expect(s.topProductShare).toBeGreaterThan(0.04); // Zipf: the top product is far above 1/60
  });

  it('HOTLINE ≈ 30% of contacts', () => {
    expect(s.channelShare['HOTLINE']).toBeGreaterThan(0.25);
    expect(s.channelShare['HOTLINE']).toBeLessThan(0.36);
  });

  it('self-service share ≥ 0.85, transfer rate 5–10%', () => {
    expect(s.selfServiceEntryShare).toBeGreaterThan(0.9);
    expect(s.selfServiceShare).toBeGreaterThanOrEqual(0.85);
    expect(s.selfServiceTransferRate).toBeGreaterThan(0.04);
    expect(s.selfServiceTransferRate).toBeLessThan(0.1);
  });

  it('complaints per 10k contacts between 1 and 10', () => {
    expect(s.complaintsPer10k).toBeGreaterThanOrEqual(1);
    expect(s.complaintsPer10k).toBeLessThanOrEqual(10);
  });

  it('human answer rate ≈ 0.97–0.995, service level mostly within 20 s', () => {
    expect(s.humanAnswerRate).toBeGreaterThanOrEqual(0.97);
    expect(s.humanAnswerRate).toBeLessThanOrEqual(0.995);
    expect(s.serviceLevel20s).toBeGreaterThan(0.7);
  });

  it('online contacts are short (AHT < 80 s), shorter than human call handling (200–350 s)', () => {
    expect(s.onlineAhtSeconds).toBeGreaterThan(30);
    expect(s.onlineAhtSeconds).toBeLessThan(80);
    expect(s.humanAhtSeconds).toBeGreaterThan(200);
    expect(s.humanAhtSeconds).toBeLessThan(350);
    expect(s.onlineAhtSeconds).toBeLessThan(s.humanAhtSeconds);
  });

  it('voice bot: ~90% recognised, ~70% confirmed, ~2 turns; predictions sometimes clicked', () => {
    expect(s.voicebotRecognitionCoverage).toBeGreaterThan(0.85);
    expect(s.voicebotRecognitionCoverage).toBeLessThan(0.95);
    expect(s.voicebotConfirmationRate).toBeGreaterThan(0.65);
    expect(s.voicebotConfirmationRate).toBeLessThan(0.75);
    expect(s.voicebotAvgTurns).toBeGreaterThan(1.7);
    expect(s.voicebotAvgTurns).toBeLessThan(2.4);
    expect(s.predictionHitRate).toBeGreaterThan(0.2);
    expect(s.predictionHitRate).toBeLessThan(0.6);
  });

  it('surveys ~10% of contacts, top box 60–80%; ~5% of sessions never END', () => {
    expect(s.surveyShareOfContacts).toBeGreaterThan(0.07);
    expect(s.surveyShareOfContacts).toBeLessThan(0.13);
    expect(s.satisfactionTopBox).toBeGreaterThan(0.6);
    expect(s.satisfactionTopBox).toBeLessThan(0.8);
    expect(s.sessionsWithoutEnded).toBeGreaterThan(0.03);
    expect(s.sessionsWithoutEnded).toBeLessThan(0.08);
  });

  it('diurnal shape: the peak hour has more than 3× the contacts of the quietest hour', () => {
    expect(s.peakToQuietHour).toBeGreaterThan(3);
    const h = s.contactsByHour;
    // Quiet night (local 02–05) vs busy late morning and evening.
    expect(Math.max(h[2]!, h[3]!, h[4]!)).toBeLessThan(Math.min(h[10]!, h[20]!) / 3);
  });

  it('agents: shifts staffed for the calls, both site types', () => {
    expect(s.agentShifts).toBeGreaterThan(50);
    expect(s.staffedHours).toBeGreaterThan(300);
  });
});

describe('multi-day figures (FCR, outreach, QA need their windows to close)', () => {
  it('FCR ≈ 0.8–0.9; QA reviews ~2% of answered calls, mean ~85', () => {
    const s = summarize(createTrafficGenerator({ seed: 5, start: DAY0, end: DAY0 + 4 * DAY_MS, contactsPerDay: 20_000 }));
    console.log('4-day figures', JSON.stringify({ fcr: s.fcrRate, ssResolution: s.selfServiceResolutionRate, qaShare: s.qaShareOfAnswered, qaAvg: s.qaAvgScore, qaPass: s.qaPassRate, upheldShare: s.complaintsUpheldShare, outreach: s.outreachContacted }, (_k, v: unknown) => round(v)));
    expect(s.fcrRate).toBeGreaterThan(0.8);
    expect(s.fcrRate).toBeLessThan(0.92);
    expect(s.qaShareOfAnswered).toBeGreaterThan(0.008);
    expect(s.qaShareOfAnswered).toBeLessThan(0.03);
    expect(s.qaAvgScore).toBeGreaterThan(80);
    expect(s.qaAvgScore).toBeLessThan(90);
    expect(s.outreachContacted).toBeGreaterThan(800);
  });

  it('outreach: ~60–70% RETAINED in the long run, some outcomes after 30 days or never', () => {
    const sum = new Summarizer('UTC');
    // Outreach only (no contacts would still need agents; use a small contact volume).
    for (const e of createTrafficGenerator({ seed: 9, start: DAY0, end: DAY0 + 60 * DAY_MS, contactsPerDay: 2_000, users: 1_000_000, probabilities: { outreachPerContact: 0.2 } })) {
      if (e.topic === 'cs.outreach') sum.add(e);
    }
    const s = sum.result();
    console.log('outreach retention (60 days)', round(s.outreachRetentionRate), 'contacted', s.outreachContacted);
    expect(s.outreachRetentionRate).toBeGreaterThan(0.55);
    expect(s.outreachRetentionRate).toBeLessThan(0.75);
  });
});
