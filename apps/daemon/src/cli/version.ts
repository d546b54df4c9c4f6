import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = '@flowtrace/daemon';

/**
 * The version the daemon prints for `--version` (main.ts): its package.json's.
 * Looked for upwards, by name, because this module is src/cli/version.ts
 * when run from source and part of a dist/ chunk when built: the daemon's
 * `../package.json` holds from src/main.ts and dist/ only.
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No package.json here (or not JSON): look further up.
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${PACKAGE_NAME}`);
    dir = parent;
  }
}
