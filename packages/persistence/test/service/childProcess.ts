import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const PACKAGE_DIR = resolve(import.meta.dirname, '../..');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a TypeScript file in a fresh Node process (sources via the flowtrace-source condition). */
export function runTs(script: string, args: readonly string[], timeoutMs: number): Promise<ChildResult> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--conditions=flowtrace-source', '--import', 'tsx', script, ...args],
      {
        cwd: PACKAGE_DIR,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${script} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}
