// Integration setup file: nothing a test file started outlives it (see processes.ts).
import { afterAll } from 'vitest';
import { killTracked } from './processes.ts';

afterAll(() => killTracked());
