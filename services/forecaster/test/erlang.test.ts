/**
 * Erlang C against a published worked example, Erlang A against the published closed forms and
 * relations of Mandelbaum & Zeltyn and Garnett, Mandelbaum & Reiman, and both against a simulation.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@cs/simulator';
import { erlangAMeasures, erlangB, erlangC, erlangCMeasures, requiredAgents } from '../src/erlang.ts';

describe('Erlang C', () => {
  // Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example": 100 calls in
  // 30 minutes, AHT 180 s (A = 10 erlangs), target 80 % answered in 20 s. The article's figures:
  // P(wait) 68.21 % with 11 agents (service level 39.0 %), 44.94 % with 12 (64.0 %), 28.53 % with 13
  // (79.6 %, short of the target), 17.41 % with 14 (88.8 %, ASA 7.8 s, occupancy 71.4 %) → 14 agents.
  const rate = 100 / 1800;
  it('reproduces the Call Centre Helper worked example (100 calls / 30 min, AHT 180 s, 80/20)', () => {
    const rows = [11, 12, 13, 14].map((n) => {
      const m = erlangCMeasures(rate, 180, n, 20);
      return [n, round(m.delayProbability, 4), round(m.serviceLevel, 3)];
    });
    expect(rows).toEqual([
      [11, 0.6821, 0.39],
      [12, 0.4494, 0.64],
      [13, 0.2853, 0.796],
      [14, 0.1741, 0.888],
    ]);
    const m14 = erlangCMeasures(rate, 180, 14, 20);
    expect(round(m14.meanWaitSeconds, 1)).toBe(7.8);
    expect(round(m14.occupancy, 3)).toBe(0.714);
    expect(requiredAgents({ calls: 100, intervalSeconds: 1800, ahtSeconds: 180 }, { serviceLevel: 0.8, answerSeconds: 20 })).toMatchObject({ agents: 14, method: 'erlang_c' });
  });

  it('is 1 (unstable) with no more agents than erlangs, and Erlang B is the classic recursion', () => {
    expect(erlangC(10, 10)).toBe(1);
    // Erlang B, A = 2 erlangs on 3 servers: (8/6) / (1 + 2 + 2 + 8/6) = 4/19.
    expect(erlangB(2, 3)).toBeCloseTo(4 / 19, 12);
  });
});

describe('Erlang A (M/M/n+M)', () => {
  const lambda = 100 / 1800;
  const aht = 180;
  const patience = 120;

  it('equals the closed forms of Mandelbaum & Zeltyn (2007) for P{W > 0} and P{Ab}', () => {
    // With x = nμ/θ, y = λ/θ, A(x, y) = Σ_{i≥0} y^i / Π_{k=1..i} (x + k), E = Erlang B(λ/μ, n), ρ = λ/(nμ):
    //   P{W > 0} = A·E / (1 + (A − 1)·E),   P{Ab | W > 0} = 1/(ρA) + 1 − 1/ρ.
    for (const n of [8, 10, 12, 14]) {
      const x = (n / aht) * patience;
      const y = lambda * patience;
      let a = 1;
      let term = 1;
      for (let i = 1; i < 2000; i++) {
        term *= y / (x + i);
        a += term;
      }
      const e = erlangB(lambda * aht, n);
      const delay = (a * e) / (1 + (a - 1) * e);
      const rho = (lambda * aht) / n;
      const abandon = (1 / (rho * a) + 1 - 1 / rho) * delay;
      const m = erlangAMeasures(lambda, aht, patience, n, 20);
      expect(m.delayProbability).toBeCloseTo(delay, 10);
      expect(m.abandonRate).toBeCloseTo(abandon, 10);
    }
  });

  it('satisfies P{Ab} = θ·E[W] (Mandelbaum & Zeltyn §4.6) and P{Ab} ≤ Erlang B (Garnett, Mandelbaum & Reiman 2002, Theorem 1)', () => {
    for (const n of [6, 9, 12]) {
      const m = erlangAMeasures(lambda, aht, patience, n, 20);
      expect(m.abandonRate).toBeCloseTo(m.meanWaitSeconds / patience, 12);
      expect(m.abandonRate).toBeLessThanOrEqual(erlangB(lambda * aht, n));
    }
  });

  it('is the M/M/∞ queue when θ = μ: P{W > 0} = P{Poisson(λ/μ) ≥ n} (Mandelbaum & Zeltyn §3)', () => {
    const load = lambda * aht;
    let below = 0;
    let term = Math.exp(-load);
    for (let k = 0; k < 12; k++) {
      below += term;
      term *= load / (k + 1);
    }
    expect(erlangAMeasures(lambda, aht, aht, 12, 20).delayProbability).toBeCloseTo(1 - below, 10);
  });

  it('tends to Erlang C as patience grows', () => {
    const c = erlangCMeasures(lambda, aht, 12, 20);
    const a = erlangAMeasures(lambda, aht, 1e9, 12, 20);
    expect(a.delayProbability).toBeCloseTo(c.delayProbability, 5);
    expect(a.serviceLevel).toBeCloseTo(c.serviceLevel, 5);
    expect(a.meanWaitSeconds).toBeCloseTo(c.meanWaitSeconds, 3);
  });

  it('agrees with a simulation of the queue (service level, abandonment, mean wait)', () => {
    const n = 11;
    const sim = simulateQueue(lambda, aht, patience, n, 20, 400_000, 11);
    const m = erlangAMeasures(lambda, aht, patience, n, 20);
    expect(Math.abs(sim.serviceLevel - m.serviceLevel)).toBeLessThan(0.006);
    expect(Math.abs(sim.abandonRate - m.abandonRate)).toBeLessThan(0.004);
    expect(Math.abs(sim.meanWait - m.meanWaitSeconds) / m.meanWaitSeconds).toBeLessThan(0.04);
  });

  it('staffs fewer agents than Erlang C for the same target, because callers leave the queue', () => {
    const target = { serviceLevel: 0.8, answerSeconds: 20 };
    const c = requiredAgents({ calls: 100, intervalSeconds: 1800, ahtSeconds: 180 }, target);
    const a = requiredAgents({ calls: 100, intervalSeconds: 1800, ahtSeconds: 180, patienceSeconds: 60 }, target);
    expect(a.method).toBe('erlang_a');
    expect(a.agents).toBeLessThanOrEqual(c.agents);
    expect(a.measures.serviceLevel).toBeGreaterThanOrEqual(0.8);
    expect(erlangAMeasures(lambda, aht, 60, a.agents - 1, 20).serviceLevel).toBeLessThan(0.8);
    expect(requiredAgents({ calls: 0, intervalSeconds: 1800, ahtSeconds: 180 }, target).agents).toBe(0);
  });
});

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** FCFS M/M/n+M by discrete events: arrivals, service ends and abandonments. */
function simulateQueue(lambda: number, aht: number, patience: number, n: number, target: number, calls: number, seed: number) {
  const rng = new Rng(seed);
  const serverFree: number[] = Array.from({ length: n }, () => 0);
  let t = 0;
  let inTime = 0;
  let abandoned = 0;
  let waitSum = 0;
  // Each caller is served, in arrival order, by the earliest free agent if the caller is still there.
  for (let c = 0; c < calls; c++) {
    t += rng.exp(1 / lambda);
    let k = 0;
    for (let j = 1; j < n; j++) if (serverFree[j]! < serverFree[k]!) k = j;
    const start = Math.max(t, serverFree[k]!);
    const wait = start - t;
    const willWait = rng.exp(patience);
    if (wait > willWait) {
      abandoned++;
      waitSum += willWait;
      continue;
    }
    waitSum += wait;
    if (wait <= target) inTime++;
    serverFree[k] = start + rng.exp(aht);
  }
  return { serviceLevel: inTime / calls, abandonRate: abandoned / calls, meanWait: waitSum / calls };
}
