import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

/** Runs a TypeScript fixture in a real child Node process (sources via the flowtrace-source condition). */
export function spawnFixture(name: string, args: string[]): ChildProcess {
  return spawn(
    process.execPath,
    ['--conditions=flowtrace-source', '--import', 'tsx', join(fixtures, name), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** Resolves with the first stdout line matching `predicate`. */
export function waitForLine(
  child: ChildProcess,
  predicate: (line: string) => boolean,
  timeoutMs = 20_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`no matching line within ${timeoutMs} ms; stderr: ${stderr}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const onData = (d: Buffer): void => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (predicate(line)) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(line);
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code ?? signal}) before the expected line; stderr: ${stderr}`));
    });
  });
}

export function waitForExit(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
