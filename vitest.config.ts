import { defineConfig } from 'vitest/config';
import { projects } from './vitest.workspace.ts';

// Tests run against the TypeScript sources: every package's exports map has a
// `flowtrace-source` condition that points at `src/`, and both Vite (here) and
// child processes (`node --conditions=flowtrace-source --import tsx`) use it.
export default defineConfig({
  resolve: { conditions: ['flowtrace-source'] },
  ssr: { resolve: { conditions: ['flowtrace-source'] } },
  test: {
    projects,
    passWithNoTests: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './scripts/summaryReporter.ts'],
  },
});
