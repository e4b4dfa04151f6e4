import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { gracefulShutdown } from '../src/shutdown.ts';

const silent = pino({ level: 'silent' });

describe('gracefulShutdown', () => {
  it('stops the steps in reverse order of registration', async () => {
    const shutdown = gracefulShutdown(silent);
    const order: string[] = [];
    shutdown.add('store', async () => void order.push('store'));
    shutdown.add('consumer', async () => void order.push('consumer'));
    await shutdown.stop('test');
    expect(order).toEqual(['consumer', 'store']);
  });

  it('a stop during the start waits for it, then stops what the start registered', async () => {
    const shutdown = gracefulShutdown(silent);
    const order: string[] = [];
    let finishStart!: () => void;
    const startGate = new Promise<void>((resolve) => (finishStart = resolve));
    const started = shutdown.startup(async () => {
      shutdown.add('store', async () => void order.push('store'));
      await startGate;
      // Registered after the signal arrived: must still be stopped, before the store.
      shutdown.add('consumer', async () => void order.push('consumer'));
      return 'started';
    });
    const stopped = shutdown.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([]);
    finishStart();
    await expect(started).resolves.toBe('started');
    await stopped;
    expect(order).toEqual(['consumer', 'store']);
  });

  it('a failed start still lets the stop run what was started', async () => {
    const shutdown = gracefulShutdown(silent);
    const order: string[] = [];
    const started = shutdown.startup(async () => {
      shutdown.add('store', async () => void order.push('store'));
      await new Promise((r) => setTimeout(r, 10));
      throw new Error('broker unreachable');
    });
    const stopped = shutdown.stop('SIGTERM');
    await expect(started).rejects.toThrow('broker unreachable');
    await stopped;
    expect(order).toEqual(['store']);
  });

  it('a step that fails does not keep the others from stopping', async () => {
    const shutdown = gracefulShutdown(silent);
    const order: string[] = [];
    shutdown.add('store', async () => void order.push('store'));
    shutdown.add('broken', async () => {
      throw new Error('boom');
    });
    await shutdown.stop('test');
    expect(order).toEqual(['store']);
  });
});
