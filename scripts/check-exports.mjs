// Proves every published package's exports map is right: publint checks the
// package.json against the files, and Are The Types Wrong checks that `import`
// and `require` each resolve to the right JavaScript and declarations under
// node16 (ESM and CJS) and bundler resolution. Run after `pnpm build`.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const failures = [];

for (const dir of readdirSync(join(root, 'packages'))) {
  const pkgDir = join(root, 'packages', dir);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  for (const [tool, args] of [
    ['publint', ['--strict', pkgDir]],
    ['attw', ['--pack', pkgDir, '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    try {
      const out = execFileSync(bin(tool), args, {
        cwd: pkgDir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      console.log(`${tool} ${pkg.name}: ok`);
      if (process.env.VERBOSE) console.log(out);
    } catch (error) {
      failures.push(`${tool} ${pkg.name}`);
      console.error(`${tool} ${pkg.name}: FAILED\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
}

if (failures.length > 0) {
  console.error(`exports check failed: ${failures.join(', ')}`);
  process.exitCode = 1;
}
