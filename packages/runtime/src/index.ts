export * from './config.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './http.ts';
export * from './shutdown.ts';
export * from './time-zone.ts';
export * from './local-time.ts';
export { freePort } from './free-port.ts';
