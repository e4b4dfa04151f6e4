export * from './catalog.ts';
export * from './sql.ts';
export * from './docs.ts';
export * from './zh.ts';
export * from './traits.ts';
