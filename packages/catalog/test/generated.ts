import { metricsMarkdown } from '../src/docs.ts';

/** Files generated from the catalog, by path from the repository root. */
export function generatedFiles(): Record<string, string> {
  return { 'docs/metrics.md': metricsMarkdown() };
}
