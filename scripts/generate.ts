/** `npm run generate`: writes the files generated from the metric catalog. */
import { writeFileSync } from 'node:fs';
import { generatedFiles } from '../packages/catalog/test/generated.ts';

for (const [path, content] of Object.entries(generatedFiles())) {
  writeFileSync(new URL(`../${path}`, import.meta.url), content);
  process.stdout.write(`wrote ${path}\n`);
}
