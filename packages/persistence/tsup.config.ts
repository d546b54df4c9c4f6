import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-preset';

export default defineConfig(
  packageBuild({
    index: 'src/index.ts',
    'features/candlePersistence/index': 'src/features/candlePersistence/index.ts',
    'shared/storage/index': 'src/shared/storage/index.ts',
    'shared/migration/index': 'src/shared/migration/index.ts',
    'shared/di/index': 'src/shared/di/index.ts',
  }),
);
