import { FlowTracePersistenceError } from '../features/candlePersistence/domain/errors/FlowTracePersistenceError';

export interface ConfigProblem {
  /** Dotted path of the offending field, e.g. `storage.baseDir`; `(root)` for the object itself. */
  path: string;
  message: string;
}

/** bootstrap() was given a configuration that does not validate: every problem at once. */
export class InvalidPersistenceConfigError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_INVALID_CONFIG';
  readonly retryable = false;

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`Invalid persistence config: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
}
