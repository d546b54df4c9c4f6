import type { PersistenceProbePoint } from '@flowtrace/persistence';

/** Named points the chaos daemon entry can kill at, by store (the others never fire there). */
export const FTCD_KILL_POINTS = [
  'block:before-write',
  'block:written',
  'block:synced',
  'queue:leased',
  'queue:saved',
  'startup:storage-opened',
] as const satisfies readonly PersistenceProbePoint[];

export const SQLITE_KILL_POINTS = [
  'sqlite:before-commit',
  'sqlite:committed',
  'queue:leased',
  'queue:saved',
  'startup:storage-opened',
] as const satisfies readonly PersistenceProbePoint[];

export type ProbeKillPoint = (typeof FTCD_KILL_POINTS)[number] | (typeof SQLITE_KILL_POINTS)[number];

const ALL_POINTS: readonly string[] = [...FTCD_KILL_POINTS, ...SQLITE_KILL_POINTS];

export interface ChaosKillArgs {
  point: ProbeKillPoint;
  /** Kill at this hit of the point (1 = the first). */
  hit: number;
  /** File the entry writes `<point> <hit>` to right before it kills itself. */
  marker: string;
}

/** Command-line options of the chaos entry, placed before the daemon's own. */
export function chaosKillArgv(kill: ChaosKillArgs): string[] {
  return ['--chaos-kill-at', kill.point, '--chaos-kill-hit', String(kill.hit), '--chaos-marker', kill.marker];
}

/** Takes the chaos options off the front of argv; the rest goes to the daemon. */
export function parseChaosKillArgs(argv: readonly string[]): {
  kill: ChaosKillArgs | undefined;
  rest: string[];
} {
  if (argv[0] !== '--chaos-kill-at') return { kill: undefined, rest: [...argv] };
  const [, point, hitFlag, hit, markerFlag, marker, ...rest] = argv;
  const hitNumber = Number(hit);
  if (
    point === undefined ||
    !ALL_POINTS.includes(point) ||
    hitFlag !== '--chaos-kill-hit' ||
    !Number.isInteger(hitNumber) ||
    hitNumber < 1 ||
    markerFlag !== '--chaos-marker' ||
    !marker
  ) {
    throw new Error(
      `usage: --chaos-kill-at <${ALL_POINTS.join('|')}> --chaos-kill-hit <N >= 1> --chaos-marker <file>`,
    );
  }
  return { kill: { point: point as ProbeKillPoint, hit: hitNumber, marker }, rest };
}
