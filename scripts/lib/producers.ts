import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProducerConfig, ProducerLine } from './producerProtocol';
import { REPO_ROOT, tsScriptArgs } from './repo';

/** A producer child process (scripts/lib/producerMain.ts). */
export class ProducerProcess {
  readonly child: ChildProcess;
  readonly lines: ProducerLine[] = [];
  readonly exited: Promise<number | null>;
  private stderr = '';

  constructor(readonly config: ProducerConfig) {
    this.child = spawn(
      process.execPath,
      [...tsScriptArgs(join(REPO_ROOT, 'scripts', 'lib', 'producerMain.ts')), JSON.stringify(config)],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let pending = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        try {
          this.lines.push(JSON.parse(line) as ProducerLine);
        } catch {
          this.stderr = `${this.stderr}${line}\n`.slice(-4096);
        }
      }
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4096);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  errors(): string {
    return this.stderr;
  }

  done(): Extract<ProducerLine, { kind: 'done' }> | undefined {
    return this.lines.find((l): l is Extract<ProducerLine, { kind: 'done' }> => l.kind === 'done');
  }

  /** Asks it to stop publishing; it settles what is in flight, fsyncs its ledger and exits. */
  async stop(): Promise<Extract<ProducerLine, { kind: 'done' }>> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const code = await this.exited;
    const done = this.done();
    if (code !== 0 || !done) throw new Error(`producer ${this.config.symbol} exited ${code}: ${this.stderr}`);
    return done;
  }

  /** Index → channel of every promised candle, from the fsync'd ledger. */
  ledger(): Map<number, 'socket' | 'queue'> {
    return readLedger(this.config.ledgerPath);
  }
}

export function readLedger(path: string): Map<number, 'socket' | 'queue'> {
  const promised = new Map<number, 'socket' | 'queue'>();
  if (!existsSync(path)) return promised;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [index, via] = line.split(' ');
    if (index === undefined || (via !== 'socket' && via !== 'queue')) continue;
    promised.set(Number(index), via);
  }
  return promised;
}
