#!/usr/bin/env node
// Runs before `npm start` and `npm test`: installs what a fresh clone needs, with no dependencies of
// its own. node-rdkafka compiles librdkafka (minutes on 2 cores), so its build is cached per
// version and Node ABI under ~/.cache/cs-analytics and reused by later installs.
import { execSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });
const log = (msg) => process.stderr.write(`[bootstrap] ${msg}\n`);

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  log(`Node ${process.versions.node} is too old: Node 20 or newer is required.`);
  process.exit(1);
}

const marker = join(root, 'node_modules', '.package-lock.json');
const stale = !existsSync(marker) || statSync(join(root, 'package-lock.json')).mtimeMs > statSync(marker).mtimeMs + 1000;
if (stale) {
  log('installing npm dependencies (npm ci)…');
  // Scripts are run below, one by one, so the native build can come from the cache.
  run('npm ci --ignore-scripts --no-audit --no-fund');
  run('npm rebuild esbuild --no-audit --no-fund');
}

// node-rdkafka's addon: also restored when a plain `npm install` replaced the package.
const build = join(root, 'node_modules/node-rdkafka/build');
if (!existsSync(join(build, 'Release', 'node-librdkafka.node'))) {
  const version = JSON.parse(readFileSync(join(root, 'node_modules/node-rdkafka/package.json'), 'utf8')).version;
  const cache = join(homedir(), '.cache', 'cs-analytics', `node-rdkafka-${version}-abi${process.versions.modules}-${process.platform}-${process.arch}`);
  if (existsSync(join(cache, 'Release', 'node-librdkafka.node'))) {
    log(`node-rdkafka ${version}: using cached native build (${cache})`);
    cpSync(cache, build, { recursive: true });
  } else {
    log(`node-rdkafka ${version}: compiling librdkafka (a few minutes the first time)…`);
    run('npm rebuild node-rdkafka --no-audit --no-fund');
    // The addon loads librdkafka from ../deps at run time: keep those two pieces only.
    mkdirSync(join(cache, 'Release'), { recursive: true });
    cpSync(join(build, 'Release', 'node-librdkafka.node'), join(cache, 'Release', 'node-librdkafka.node'));
    cpSync(join(build, 'deps'), join(cache, 'deps'), { recursive: true, filter: (src) => !/\.(a|mk)$|Makefile$|\/include|\/librdkafka$/.test(src) });
  }
}
