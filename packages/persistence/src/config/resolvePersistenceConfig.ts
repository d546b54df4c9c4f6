import { type ConfigProblem, InvalidPersistenceConfigError } from './InvalidPersistenceConfigError';
import { persistenceConfigSchema, type ResolvedPersistenceConfig } from './persistenceConfigSchema';
import { unknownSettingProblems } from './unknownSettingProblems';

/** Validates the config once at the boundary; throws one error listing every problem. */
export function resolvePersistenceConfig(input: unknown): ResolvedPersistenceConfig {
  const result = persistenceConfigSchema.safeParse(input);
  if (!result.success) {
    const problems: ConfigProblem[] = result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? unknownSettingProblems(persistenceConfigSchema, issue.path, issue.keys)
        : [{ path: issue.path.map(String).join('.') || '(root)', message: problemMessage(issue) }],
    );
    throw new InvalidPersistenceConfigError(problems);
  }
  const config = result.data;
  Object.freeze(config.storage);
  Object.freeze(config.validation);
  return Object.freeze(config);
}

/** zod's message, in the words of a setting where its own are obscure ("expected int, received number"). */
function problemMessage(issue: { code: string; message: string; expected?: unknown }): string {
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'must be a whole number';
  return issue.message;
}
