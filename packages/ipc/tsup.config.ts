import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-preset';

export default defineConfig(
  packageBuild({
    index: 'src/index.ts',
    'features/unix-socket/index': 'src/features/unix-socket/index.ts',
    'features/sqlite-queue/index': 'src/features/sqlite-queue/index.ts',
  }),
);
