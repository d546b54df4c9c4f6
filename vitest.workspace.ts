import { configDefaults, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * The test projects of the monorepo: one per package or app. The root
 * `vitest.config.ts` imports this list as `test.projects`, so `vitest run`
 * at the root runs every project and `vitest --project core` runs one.
 */
export const projects: TestProjectInlineConfiguration[] = [
  {
    extends: true,
    test: {
      name: 'repo',
      root: '.',
      include: ['test/**/*.test.ts'],
      // test/proof has its own project (below): long-running, against the real daemon.
      exclude: [...configDefaults.exclude, 'test/proof/**'],
    },
  },
  {
    extends: true,
    test: {
      name: 'core',
      root: './packages/core',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    },
  },
  {
    extends: true,
    test: {
      name: 'ipc',
      root: './packages/ipc',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    },
  },
  {
    extends: true,
    test: {
      name: 'persistence',
      root: './packages/persistence',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    },
  },
  {
    extends: true,
    test: {
      name: 'daemon',
      root: './apps/daemon',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    },
  },
  {
    extends: true,
    test: {
      name: 'examples',
      root: './examples',
      include: ['*/test/**/*.test.ts'],
    },
  },
  {
    extends: true,
    test: {
      name: 'proof',
      root: './test/proof',
      include: ['**/*.test.ts'],
      // Chaos, abuse and soak each load the 2-core machine on their own: one file at a time,
      // after every other project has finished (their tests would otherwise share the cores with
      // them: a 1M-frame fuzz ran 10x slower beside them and hit its reply timeout).
      fileParallelism: false,
      sequence: { groupOrder: 1 },
    },
  },
];

export default projects;
