export * from './catalog.ts';
export * from './sql.ts';
export * from './docs.ts';
