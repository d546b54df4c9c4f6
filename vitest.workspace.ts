import type { TestProjectInlineConfiguration } from 'vitest/config';

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
];

export default projects;
