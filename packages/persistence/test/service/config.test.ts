import { describe, expect, it } from 'vitest';
import { bootstrap, InvalidPersistenceConfigError, resolvePersistenceConfig } from '../../src/index';
import { silentLogger } from './helpers';

describe('bootstrap config', () => {
  it('fails with ONE typed error listing every problem by path', async () => {
    const bad = {
      socketPath: '',
      queuePath: 7,
      storage: { baseDir: '', walMode: 'yes' },
      healthCheckPort: 70_000,
      batchSize: 0,
      validation: { enabled: true, strictMode: false, maxErrorRate: 2, alertThreshold: 0.1 },
      colour: 'blue',
    };
    const error = await bootstrap(bad as never, { logger: silentLogger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPersistenceConfigError);
    const typed = error as InvalidPersistenceConfigError;
    expect(typed.code).toBe('FLOWTRACE_INVALID_CONFIG');
    expect(typed.retryable).toBe(false);
    const paths = typed.problems.map((p) => p.path).sort();
    expect(paths).toEqual(
      [
        '(root)',
        'batchSize',
        'healthCheckPort',
        'queuePath',
        'socketPath',
        'storage.baseDir',
        'storage.walMode',
        'validation.maxErrorRate',
      ].sort(),
    );
  });

  it('rejects alertThreshold above maxErrorRate', () => {
    expect(() =>
      resolvePersistenceConfig({
        socketPath: '/tmp/a.sock',
        queuePath: '/tmp/q.db',
        storage: { baseDir: '/tmp/c' },
        validation: { enabled: true, strictMode: false, maxErrorRate: 0.01, alertThreshold: 0.5 },
      }),
    ).toThrow(/validation.alertThreshold: alertThreshold must not exceed maxErrorRate/);
  });

  it('rejects a socket path longer than sun_path allows', () => {
    expect(() =>
      resolvePersistenceConfig({
        socketPath: `/tmp/${'x'.repeat(120)}`,
        queuePath: '/q',
        storage: { baseDir: '/c' },
      }),
    ).toThrow(/socketPath: must be at most 107 bytes/);
  });

  it('applies the documented defaults and freezes the result', () => {
    const config = resolvePersistenceConfig({
      socketPath: '/tmp/a.sock',
      queuePath: '/tmp/q.db',
      storage: { baseDir: '/c' },
    });
    expect(config).toMatchObject({
      healthCheckHost: '127.0.0.1',
      pollInterval: 1000,
      batchSize: 500,
      maxConnections: 100,
      stopTimeoutMs: 10_000,
      storage: { baseDir: '/c', useDatabase: false, organizeByExchange: false, walMode: true },
      validation: {
        enabled: true,
        strictMode: false,
        maxErrorRate: 0.05,
        alertThreshold: 0.01,
        windowSize: 1000,
        windowMs: 60_000,
        minSamples: 20,
      },
    });
    expect(config.healthCheckPort).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.storage)).toBe(true);
  });
});
