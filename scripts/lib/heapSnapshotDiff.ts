/**
 * `node --import tsx scripts/lib/heapSnapshotDiff.ts before.heapsnapshot after.heapsnapshot [rows]`:
 * what grew between two V8 heap snapshots of one process, by constructor
 * (count and self size), largest growth first. Used to find the soak's
 * memory growth (docs/proof.md, finding 4). Snapshots come from
 * `node --heapsnapshot-signal=SIGUSR2` (or NODE_OPTIONS) and `kill -USR2 <pid>`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface ConstructorTotals {
  count: number;
  bytes: number;
}

export interface HeapSummary {
  totalBytes: number;
  /** Key: `<node type>:<constructor or kind>`; strings, numbers and code are grouped. */
  byConstructor: Map<string, ConstructorTotals>;
}

const GROUPED: Record<string, string> = {
  string: '(string)',
  'concatenated string': '(string)',
  'sliced string': '(string)',
  number: '(heap number)',
  code: '(code)',
};

export function summarizeHeapSnapshot(path: string): HeapSummary {
  const file = JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshotFile;
  const fields = file.snapshot.meta.node_fields;
  const types = file.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const byConstructor = new Map<string, ConstructorTotals>();
  let totalBytes = 0;
  for (let node = 0; node < file.nodes.length; node += width) {
    const type = types[file.nodes[node + typeAt] ?? 0] ?? '?';
    const name = GROUPED[type] ?? (file.strings[file.nodes[node + nameAt] ?? 0] ?? '?').slice(0, 60);
    const bytes = file.nodes[node + sizeAt] ?? 0;
    const key = `${type}:${name}`;
    const totals = byConstructor.get(key) ?? { count: 0, bytes: 0 };
    totals.count += 1;
    totals.bytes += bytes;
    byConstructor.set(key, totals);
    totalBytes += bytes;
  }
  return { totalBytes, byConstructor };
}

export interface GrowthRow {
  key: string;
  before: ConstructorTotals;
  after: ConstructorTotals;
}

/** Constructors by growth of their self size, largest first. */
export function heapGrowth(before: HeapSummary, after: HeapSummary): GrowthRow[] {
  const keys = new Set([...before.byConstructor.keys(), ...after.byConstructor.keys()]);
  const none: ConstructorTotals = { count: 0, bytes: 0 };
  return [...keys]
    .map((key) => ({
      key,
      before: before.byConstructor.get(key) ?? none,
      after: after.byConstructor.get(key) ?? none,
    }))
    .sort((a, b) => b.after.bytes - b.before.bytes - (a.after.bytes - a.before.bytes));
}

const MiB = 1024 * 1024;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [beforePath, afterPath, rows = '25'] = process.argv.slice(2);
  if (!beforePath || !afterPath) {
    process.stderr.write('usage: heapSnapshotDiff.ts before.heapsnapshot after.heapsnapshot [rows]\n');
    process.exitCode = 2;
  } else {
    const before = summarizeHeapSnapshot(beforePath);
    const after = summarizeHeapSnapshot(afterPath);
    process.stdout.write(
      `heap ${(before.totalBytes / MiB).toFixed(1)} -> ${(after.totalBytes / MiB).toFixed(1)} MiB\n`,
    );
    for (const row of heapGrowth(before, after).slice(0, Number(rows))) {
      const grown = (row.after.bytes - row.before.bytes) / 1024;
      const counts = `${row.before.count} -> ${row.after.count} (${row.after.count - row.before.count >= 0 ? '+' : ''}${row.after.count - row.before.count})`;
      process.stdout.write(`${grown.toFixed(0).padStart(9)} KiB  ${counts.padEnd(32)} ${row.key}\n`);
    }
  }
}
