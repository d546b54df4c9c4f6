import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-preset';

// The daemon is an application: ESM only, no declarations.
export default defineConfig(
  packageBuild({ daemon: 'src/daemon.ts', cli: 'src/cli.ts' }, { format: ['esm'], dts: false }),
);
