import type { Container } from 'inversify';
import { FlowTracePersistenceError } from '../../../../features/candlePersistence/domain/errors/FlowTracePersistenceError';
import { ALL_PERSISTENCE_TOKENS } from './types';

export interface BindingProblem {
  /** `Symbol.for` key of the token, e.g. `flowtrace.persistence.Metrics`. */
  token: string;
  problem: string;
}

/** Some bindings are missing or their factories throw: every one listed. */
export class ContainerValidationError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_CONTAINER_INVALID';
  readonly retryable = false;

  constructor(
    readonly problems: readonly BindingProblem[],
    options?: { cause?: unknown },
  ) {
    super(
      `Dependency container is incomplete: ${problems.map((p) => `${p.token}: ${p.problem}`).join('; ')}`,
      options,
    );
  }
}

/**
 * Resolves every token at start-up (instead of failing on first use) and
 * reports ALL missing or failing bindings at once.
 */
export class ContainerValidator {
  constructor(private readonly tokens: readonly symbol[] = ALL_PERSISTENCE_TOKENS) {}

  validate(container: Container): void {
    const problems: BindingProblem[] = [];
    for (const token of this.tokens) {
      const name = token.description ?? token.toString();
      if (!container.isBound(token)) {
        problems.push({ token: name, problem: 'not bound' });
        continue;
      }
      try {
        container.get(token);
      } catch (error) {
        problems.push({ token: name, problem: error instanceof Error ? error.message : String(error) });
      }
    }
    if (problems.length > 0) throw new ContainerValidationError(problems);
  }
}
