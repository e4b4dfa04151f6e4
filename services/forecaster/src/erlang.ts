/**
 * Queueing models for staffing a call queue in an interval (Poisson arrivals, exponential handling):
 *
 *  - Erlang C (M/M/n): callers wait forever. P(wait > 0) = C(n, A) with A = λ/μ erlangs,
 *    P(wait > t) = C · e^{−(nμ − λ)t}, ASA = C / (nμ − λ). Needs n > A.
 *  - Erlang A (M/M/n+M, Palm 1946; Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn 2007):
 *    callers abandon after an exponential patience with rate θ. Computed exactly from the
 *    birth–death chain (birth λ; death jμ for j ≤ n, nμ + (j − n)θ above): an arrival that finds
 *    i callers ahead in the queue reaches an agent with probability nμ / (nμ + (i+1)θ), after a
 *    wait distributed as Σ_{m=1}^{i+1} Exp(nμ + mθ) (tilting each stage by its own patience), whose
 *    distribution function is evaluated by uniformisation.
 *
 * Service level = calls answered within t / calls offered (as the service_level_20s metric), so an
 * abandoned call counts as not answered in time.
 */

export interface QueueMeasures {
  /** P(an arrival waits at all). */
  delayProbability: number;
  /** Calls answered within the target time / calls offered. */
  serviceLevel: number;
  /** Mean wait of all offered calls (to answer or to abandonment), seconds. */
  meanWaitSeconds: number;
  /** Share of offered calls that abandon (0 for Erlang C). */
  abandonRate: number;
  /** Busy agents / agents. */
  occupancy: number;
}

/** Erlang B blocking probability of n servers with offered load `a` erlangs (stable recursion). */
export function erlangB(a: number, n: number): number {
  let b = 1;
  for (let k = 1; k <= n; k++) b = (a * b) / (k + a * b);
  return b;
}

/** Erlang C probability of waiting; 1 when n ≤ a (the queue grows without bound). */
export function erlangC(a: number, n: number): number {
  if (n <= a) return 1;
  const b = erlangB(a, n);
  return (n * b) / (n - a * (1 - b));
}

/** Erlang C measures. `arrivalRate` per second, `ahtSeconds` mean handling time, `targetSeconds` t. */
export function erlangCMeasures(arrivalRate: number, ahtSeconds: number, agents: number, targetSeconds: number): QueueMeasures {
  const a = arrivalRate * ahtSeconds;
  if (agents <= a) return { delayProbability: 1, serviceLevel: 0, meanWaitSeconds: Infinity, abandonRate: 0, occupancy: 1 };
  const c = erlangC(a, agents);
  const drain = (agents - a) / ahtSeconds;
  return {
    delayProbability: c,
    serviceLevel: 1 - c * Math.exp(-drain * targetSeconds),
    meanWaitSeconds: c / drain,
    abandonRate: 0,
    occupancy: a / agents,
  };
}

/** Erlang A measures; `patienceSeconds` is the mean patience 1/θ. */
export function erlangAMeasures(arrivalRate: number, ahtSeconds: number, patienceSeconds: number, agents: number, targetSeconds: number): QueueMeasures {
  const lambda = arrivalRate;
  const mu = 1 / ahtSeconds;
  const theta = 1 / patienceSeconds;
  const n = agents;
  if (lambda <= 0) return { delayProbability: 0, serviceLevel: 1, meanWaitSeconds: 0, abandonRate: 0, occupancy: 0 };
  if (n === 0) return { delayProbability: 1, serviceLevel: 0, meanWaitSeconds: patienceSeconds, abandonRate: 1, occupancy: 0 };

  // Stationary distribution, unnormalised, rescaled as it grows; the tail is cut where negligible.
  const p: number[] = [1];
  const rescale = (k: number) => {
    for (let j = 0; j < p.length; j++) p[j]! *= k;
  };
  for (let j = 1; j <= n; j++) {
    p.push((p[j - 1]! * lambda) / (j * mu));
    if (p[j]! > 1e250) rescale(1e-250);
  }
  const queueMode = Math.max(0, (lambda - n * mu) / theta);
  for (let i = 1; ; i++) {
    const next = (p[p.length - 1]! * lambda) / (n * mu + i * theta);
    p.push(next);
    if (next > 1e250) rescale(1e-250);
    if (i > queueMode && next < 1e-17 * p[n]!) break;
  }
  const total = p.reduce((s, v) => s + v, 0);
  let waiting = 0;
  let abandon = 0;
  let meanWait = 0;
  // w[i]: probability mass of arrivals with i callers ahead that will be answered.
  const w: number[] = [];
  for (let i = 0; n + i < p.length; i++) {
    const pi = p[n + i]! / total;
    const rate = n * mu + (i + 1) * theta;
    waiting += pi;
    abandon += (pi * (i + 1) * theta) / rate;
    meanWait += (pi * (i + 1)) / rate;
    w.push((pi * n * mu) / rate);
  }
  const immediate = 1 - waiting;
  const answeredInTime = immediate + waitedAtMost(w, n * mu, theta, targetSeconds);
  return {
    delayProbability: waiting,
    serviceLevel: answeredInTime,
    meanWaitSeconds: meanWait,
    abandonRate: abandon,
    occupancy: (lambda * (1 - abandon) * ahtSeconds) / n,
  };
}

/**
 * Σ_i w[i] · P(Σ_{m=1}^{i+1} Exp(base + mθ) ≤ t), by uniformisation: stage r (r stages left) ends
 * at rate base + rθ ≤ Λ; with N ~ Poisson(Λt) uniformised steps, the mass absorbed after k steps
 * is propagated once for all starting stages together.
 */
function waitedAtMost(w: readonly number[], base: number, theta: number, t: number): number {
  const stages = w.length;
  if (stages === 0 || t <= 0) return 0;
  const lambdaMax = base + stages * theta;
  const mean = lambdaMax * t;
  const maxSteps = Math.ceil(mean + 12 * Math.sqrt(mean) + 30);
  // q[r]: mass with r stages left (r = 1..stages); q[0] collects the absorbed mass.
  let q = new Float64Array(stages + 1);
  for (let i = 0; i < stages; i++) q[i + 1] = w[i]!;
  let logPoisson = -mean; // log P(N = 0)
  let result = 0;
  for (let k = 0; k <= maxSteps; k++) {
    if (k > 0) {
      const next = new Float64Array(stages + 1);
      next[0] = q[0]!;
      for (let r = 1; r <= stages; r++) {
        const move = (base + r * theta) / lambdaMax;
        next[r - 1]! += q[r]! * move;
        next[r]! += q[r]! * (1 - move);
      }
      q = next;
      logPoisson += Math.log(mean) - Math.log(k);
    }
    result += Math.exp(logPoisson) * q[0]!;
  }
  // Past maxSteps the Poisson tail is negligible; the mass absorbed by then counts in full.
  return result;
}

export interface StaffingTarget {
  /** Share of offered calls to answer within `answerSeconds`, e.g. 0.8. */
  serviceLevel: number;
  answerSeconds: number;
}

export interface StaffingResult {
  agents: number;
  method: 'erlang_c' | 'erlang_a';
  measures: QueueMeasures;
}

/**
 * The fewest agents meeting the target for `calls` offered over `intervalSeconds` with mean handling
 * time `ahtSeconds`: Erlang A when a mean patience is known, Erlang C otherwise.
 */
export function requiredAgents(input: { calls: number; intervalSeconds: number; ahtSeconds: number; patienceSeconds?: number | null }, target: StaffingTarget): StaffingResult {
  const rate = input.calls / input.intervalSeconds;
  const erlangA = input.patienceSeconds != null && input.patienceSeconds > 0;
  const method = erlangA ? 'erlang_a' : 'erlang_c';
  const measure = (n: number) =>
    erlangA ? erlangAMeasures(rate, input.ahtSeconds, input.patienceSeconds!, n, target.answerSeconds) : erlangCMeasures(rate, input.ahtSeconds, n, target.answerSeconds);
  if (!(rate > 0)) return { agents: 0, method, measures: { delayProbability: 0, serviceLevel: 1, meanWaitSeconds: 0, abandonRate: 0, occupancy: 0 } };
  const load = rate * input.ahtSeconds;
  // Answered calls ≤ nμ/λ = n/load of those offered, so no n below serviceLevel × load can meet it.
  let n = erlangA ? Math.max(1, Math.floor(load * 0.5)) : Math.floor(load) + 1;
  const limit = Math.ceil(load + 20 * Math.sqrt(load) + 100);
  for (; n < limit; n++) {
    const m = measure(n);
    if (m.serviceLevel >= target.serviceLevel) return { agents: n, method, measures: m };
  }
  return { agents: limit, method, measures: measure(limit) };
}
