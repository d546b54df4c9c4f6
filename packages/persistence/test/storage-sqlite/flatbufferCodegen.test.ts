import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_DIR, renderGeneratedFlatBufferSources } from '../../scripts/generate-flatbuffers';

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

describe('committed FlatBuffers TypeScript', () => {
  it('is exactly what scripts/generate-flatbuffers.ts writes from schemas/candle.fbs (run it to regenerate)', async () => {
    const expected = await renderGeneratedFlatBufferSources();
    const committed = Object.fromEntries(
      listFiles(GENERATED_DIR).map((path) => [relative(GENERATED_DIR, path), readFileSync(path, 'utf8')]),
    );
    expect(Object.keys(committed).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, content] of Object.entries(expected)) {
      // Byte for byte; on failure: node --import tsx packages/persistence/scripts/generate-flatbuffers.ts
      expect(committed[name] === content, `${name} differs from the flatc output`).toBe(true);
    }
  }, 60_000);
});
