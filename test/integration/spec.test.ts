// The product contract lives in the repository (docs/spec.md), and the docs link only to files the
// repository holds. Where the upstream copy of the contract is at hand (a `shared/SPEC.md` beside the
// repository, or beside a directory of worktrees), the repository's copy must be identical to it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SPEC = join(root, 'docs/spec.md');

/** The upstream contract: the nearest `<ancestor>/shared/SPEC.md` above the repository, if any. */
function upstreamSpec(): string | undefined {
  for (let dir = dirname(root); dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'SPEC.md');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const markdownFiles = execFileSync('git', ['ls-files', '*.md'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);

describe('the product contract', () => {
  it('is docs/spec.md, identical to the upstream copy when one is beside the repository', () => {
    const text = readFileSync(SPEC, 'utf8');
    expect(text).toMatch(/^## 7\. What analysts query/m);
    const upstream = upstreamSpec();
    if (upstream) expect(text, `docs/spec.md differs from ${upstream}: copy it again`).toBe(readFileSync(upstream, 'utf8'));
  });

  it('is what the README links to, and no document links outside the repository or to a missing file', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('](docs/spec.md)');
    const broken: string[] = [];
    for (const file of markdownFiles) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z][a-z+.-]*:/i.test(target!) || target!.startsWith('#')) continue; // URLs and anchors
        const path = resolve(dirname(join(root, file)), target!.split('#')[0]!);
        const inside = !relative(root, path).startsWith('..');
        if (!inside || !existsSync(path)) broken.push(`${file}: ${target} (${inside ? 'missing' : 'outside the repository'})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
