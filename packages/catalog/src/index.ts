export * from './catalog.ts';
export * from './sql.ts';
