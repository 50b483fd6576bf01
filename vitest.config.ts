import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/setup/control-plane.ts', 'test/integration/setup/moto.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 900_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 900_000,
          pool: 'forks',
          fileParallelism: false,
          globalSetup: [
            'test/integration/setup/control-plane.ts',
            'test/integration/setup/moto.ts',
            'test/browser/setup.ts',
          ],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 900_000,
          pool: 'forks',
          fileParallelism: false,
          globalSetup: [
            'test/integration/setup/control-plane.ts',
            'test/integration/setup/moto.ts',
            'test/e2e/setup/build.ts',
          ],
        },
      },
    ],
  },
});
