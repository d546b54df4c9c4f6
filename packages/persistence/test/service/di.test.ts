import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import {
  bootstrap,
  CANDLE_PERSISTENCE_TYPES,
  type CandlePersistencePort,
  CandleValidator,
  ContainerValidationError,
  ContainerValidator,
  PERSISTENCE_TYPES,
  registerAllBindings,
  resolvePersistenceConfig,
} from '../../src/index';
import * as diEntry from '../../src/shared/di/index';
import { configIn, makeTempDir, silentLogger, smallCandles } from './helpers';

describe('dependency injection', () => {
  it('reports every missing or failing binding at once', () => {
    const container = new Container();
    registerAllBindings(container, {
      config: resolvePersistenceConfig(configIn('/tmp/ft-di')),
      storage: () => InMemoryCandleStorage.open(),
      logger: silentLogger,
    });
    container.unbind(PERSISTENCE_TYPES.Metrics);
    container.unbind(CANDLE_PERSISTENCE_TYPES.CandleValidator);
    let caught: unknown;
    try {
      new ContainerValidator().validate(container);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ContainerValidationError);
    const problems = (caught as ContainerValidationError).problems;
    const missing = problems.filter((p) => p.problem === 'not bound').map((p) => p.token);
    expect(missing.sort()).toEqual([
      'flowtrace.candlePersistence.CandleValidator',
      'flowtrace.persistence.Metrics',
    ]);
    // Dependents fail too, and are listed rather than hiding behind the first error.
    expect(problems.length).toBeGreaterThan(2);
    expect((caught as ContainerValidationError).code).toBe('FLOWTRACE_CONTAINER_INVALID');
  });

  it('a configureContainer hook that throws fails bootstrap with FLOWTRACE_CONTAINER_INVALID, its error as the cause', async () => {
    const dir = await makeTempDir();
    try {
      const boom = new Error('boom');
      const caught = await bootstrap(configIn(dir.path), {
        logger: silentLogger,
        storage: () => InMemoryCandleStorage.open(),
        configureContainer: () => {
          throw boom;
        },
      }).catch((error: unknown) => error);
      expect(caught).toBeInstanceOf(ContainerValidationError);
      expect(caught).toMatchObject({
        code: 'FLOWTRACE_CONTAINER_INVALID',
        cause: boom,
        problems: [{ token: 'configureContainer', problem: 'the hook threw: boom' }],
      });
    } finally {
      await dir.remove();
    }
  });

  it('lets callers rebind a port (here a stricter validator) and uses it end to end', async () => {
    const dir = await makeTempDir();
    try {
      const { app, container } = await bootstrap(configIn(dir.path), {
        logger: silentLogger,
        storage: () => InMemoryCandleStorage.open(),
        configureContainer: (c) => {
          c.rebindSync(CANDLE_PERSISTENCE_TYPES.CandleValidator).toConstantValue(
            new CandleValidator({ enabled: true, strictMode: true }),
          );
        },
      });
      await app.start();
      const port = container.get<CandlePersistencePort>(CANDLE_PERSISTENCE_TYPES.CandlePersistencePort);
      const [candle] = smallCandles(1);
      const ok = await port.persist({ payload: candle, channel: 'api', messageId: 'api-1' });
      expect(ok.status).toBe('persisted');
      // A soft issue: accepted by the default (non-strict) validator, rejected by the strict one.
      const drifted = { ...candle, t: (candle?.t ?? 0) + 60_000, ct: (candle?.ct ?? 0) + 60_000, tz: 'CET' };
      expect(new CandleValidator({ enabled: true, strictMode: false }).validate(drifted).accepted).toBe(true);
      const outcome = await port.persist({ payload: drifted, channel: 'api', messageId: 'api-2' });
      expect(outcome.status).toBe('rejected');
      await app.stop();
    } finally {
      await dir.remove();
    }
  });

  it('exports the seed names from the DI entry point', () => {
    for (const name of [
      'ContainerFactory',
      'ContainerValidator',
      'PERSISTENCE_TYPES',
      'CANDLE_PERSISTENCE_TYPES',
      'registerAllBindings',
    ]) {
      expect(diEntry).toHaveProperty(name);
    }
  });
});
