// The simulator run as its own service (`npm run simulate -- --mode live`, the compose `simulator`)
// serves /healthz, /readyz and Prometheus /metrics like every other service, and stops cleanly.
import { inject, describe, expect, it } from 'vitest';
import { startChild } from '../support/child.ts';
import { createTopics, uniquePrefix, waitFor } from '../support/pipeline.ts';

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
};

describe('simulator service', () => {
  it('serves health, readiness and its metrics while sending live traffic; SIGTERM stops it with 0', async () => {
    const prefix = uniquePrefix('sim-service');
    await createTopics(prefix, 1);
    const child = startChild('services/simulator/src/main.ts', {
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      CS_TOPIC_PREFIX: prefix,
      SIM_RATE: '600',
      SIM_HTTP_PORT: '0',
    });
    try {
      let base = '';
      await waitFor('the simulator to listen', async () => {
        const port = /"port":(\d+)[^\n]*health, readiness and metrics listening/.exec(child.output())?.[1];
        if (port) base = `http://127.0.0.1:${port}`;
        return base !== '' || child.proc.exitCode !== null;
      }, 30_000);
      expect(base, child.output()).not.toBe('');
      expect(await get(`${base}/healthz`)).toEqual({ status: 200, text: '{"status":"ok"}' });
      await waitFor('the simulator to be ready', async () => (await get(`${base}/readyz`)).status === 200, 30_000);
      let sent = 0;
      await waitFor('session events counted in /metrics', async () => {
        const metrics = (await get(`${base}/metrics`)).text;
        sent = Number(/^cs_simulator_events_sent_total\{topic="cs\.sessions"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
        return sent > 0;
      }, 30_000);
      const metrics = (await get(`${base}/metrics`)).text;
      expect(metrics).toMatch(/^cs_simulator_lag_seconds \d/m);
      expect(metrics).toMatch(/^cs_process_cpu_seconds_total /m);
      child.proc.kill('SIGTERM');
      expect(await child.exited, child.output()).toBe(0);
    } finally {
      if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
    }
  });
});
