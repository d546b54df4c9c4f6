import { closestName, editDistance } from '@flowtrace/core';
import type { z } from 'zod';
import type { ConfigProblem } from './InvalidPersistenceConfigError';

interface SchemaNode {
  readonly _zod: {
    readonly def: { readonly type: string; readonly innerType?: unknown; readonly shape?: unknown };
  };
}

/**
 * One problem per unknown key of a zod `unrecognized_keys` issue, named by its
 * full path and with the setting it probably misspells: `storage.basedir:
 * unknown setting (did you mean storage.baseDir?)` rather than zod's
 * `storage: Unrecognized key: "basedir"`. A typo in a config file is the most
 * common mistake and otherwise looks like two unrelated problems (the typo,
 * and the required setting it was meant to be).
 */
export function unknownSettingProblems(
  root: z.ZodType,
  path: readonly PropertyKey[],
  keys: readonly string[],
): ConfigProblem[] {
  const known = knownKeysAt(root as unknown as SchemaNode, path);
  const prefix = path.map(String).join('.');
  return keys.map((key) => {
    const suggestion = closestKey(key, known);
    const name = prefix === '' ? key : `${prefix}.${key}`;
    return {
      path: name,
      message: `unknown setting${suggestion === undefined ? '' : ` (did you mean ${prefix === '' ? suggestion : `${prefix}.${suggestion}`}?)`}`,
    };
  });
}

function knownKeysAt(node: SchemaNode, path: readonly PropertyKey[]): string[] {
  let current: SchemaNode | undefined = unwrap(node);
  for (const key of path) {
    const shape = current?._zod.def.shape as Record<string, SchemaNode> | undefined;
    current = shape === undefined ? undefined : unwrap(shape[String(key)]);
  }
  const def = current?._zod.def as
    | { type: string; shape?: Record<string, unknown>; keyType?: SchemaNode }
    | undefined;
  if (def?.type === 'object' && def.shape !== undefined) return Object.keys(def.shape);
  // A record keyed by an enum (storage.partitioning: timeframe names) knows its keys too.
  const entries = (def?.keyType?._zod.def as { entries?: Record<string, string> } | undefined)?.entries;
  return def?.type === 'record' && entries !== undefined ? Object.values(entries) : [];
}

/** The object (or record) schema inside optional/default/nullable wrappers. */
function unwrap(node: SchemaNode | undefined): SchemaNode | undefined {
  let current = node;
  const keyed = (type: string | undefined) => type === 'object' || type === 'record';
  for (let depth = 0; current !== undefined && !keyed(current._zod.def.type) && depth < 8; depth++) {
    current = current._zod.def.innerType as SchemaNode | undefined;
  }
  return keyed(current?._zod.def.type) ? current : undefined;
}

function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  return (
    known.find((name) => name.toLowerCase() === lower) ??
    closestName(lower, known, 2, (name, typed) => editDistance(typed, name.toLowerCase()))
  );
}
