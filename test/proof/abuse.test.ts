import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { UnixSocketClient } from '@flowtrace/ipc/features/unix-socket';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonPaths, DaemonProcess, daemonPaths, sleep } from '../../scripts/lib/daemon';
import { fdCount, listeningAddresses, rssBytes } from '../../scripts/lib/procfs';
import { frame, RawConnection } from '../../scripts/lib/rawConnection';
import { daemonEntryArgs } from '../../scripts/lib/repo';
import { fuzzPool } from './lib/fuzzFrames';

const MAX_CONNECTIONS = 32;
const FUZZ_FRAMES = Number(process.env.FLOWTRACE_PROOF_FUZZ_FRAMES ?? 1_000_000);
const MiB = 1024 * 1024;

let root: string;
let paths: DaemonPaths;
let daemon: DaemonProcess;
const socketModesDuringStartUp = new Set<number>();

/** Good candles sent on their own connection the whole time, while the abuse goes on. */
const good = {
  client: undefined as UnixSocketClient | undefined,
  candles: generateFootprintCandles({ seed: 77, count: 100_000, bins: 50, symbol: 'GOODUSDT' }),
  sent: 0,
  acked: [] as FootprintCandleDTO[],
  failures: [] as string[],
  running: false,
  loop: Promise.resolve(),
};

async function sendGoodCandles(): Promise<void> {
  const client = good.client as UnixSocketClient;
  while (good.running && good.sent < good.candles.length) {
    const batch = good.candles.slice(good.sent, good.sent + 10);
    good.sent += batch.length;
    await Promise.all(
      batch.map(async (candle) => {
        try {
          const reply = await client.request(
            { type: 'candle:complete', payload: candle },
            { timeoutMs: 15_000 },
          );
          if (reply.success) good.acked.push(candle);
          else good.failures.push(`${candle.t}: ${reply.code} ${reply.error}`);
        } catch (error) {
          good.failures.push(`${candle.t}: ${(error as Error).message}`);
        }
      }),
    );
    await sleep(20);
  }
}

function statusOf(): Promise<{ components: { unixSocket: Record<string, number | boolean | string> } }> {
  return fetch(`http://127.0.0.1:${daemon.healthPort}/health`).then(
    (r) => r.json() as Promise<{ components: { unixSocket: Record<string, number | boolean | string> } }>,
  );
}

function candleFrame(candle: unknown, id: string): Buffer {
  return frame(JSON.stringify({ id, type: 'candle:complete', payload: candle, timestamp: Date.now() }));
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'flowtrace-abuse-'));
  paths = daemonPaths(join(root, 'data'));
  daemon = new DaemonProcess(paths, ['--max-connections', String(MAX_CONNECTIONS)]);
  // Watch the socket file from the moment the daemon starts until READY.
  while (!daemon.isReady && !daemon.hasExited) {
    try {
      socketModesDuringStartUp.add(statSync(paths.socketPath).mode & 0o777);
    } catch {
      // not there yet
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await daemon.waitReady();
  socketModesDuringStartUp.add(statSync(paths.socketPath).mode & 0o777);
  good.client = new UnixSocketClient({ socketPath: paths.socketPath, connectTimeout: 5_000 });
  await good.client.connect();
  good.running = true;
  good.loop = sendGoodCandles();
}, 60_000);

afterAll(async () => {
  good.running = false;
  await good.loop;
  await good.client?.disconnect();
  await daemon?.kill9();
  rmSync(root, { recursive: true, force: true });
});

describe(`abuse of the running daemon (${daemonEntryArgs('daemon').label})`, () => {
  it('never exposes the socket file wider than 0600, even during start-up', () => {
    expect([...socketModesDuringStartUp]).toEqual([0o600]);
    // The directory it binds in before the rename is private too: no leftovers.
    expect(
      readdirSync(paths.dataDir).filter(
        (n) => n.startsWith('.flowtrac') && statSync(join(paths.dataDir, n)).mode & 0o077,
      ),
    ).toEqual([]);
  });

  it('listens for health on loopback only (read from /proc/<pid>/net, no packet to other addresses)', async () => {
    const listening = listeningAddresses(daemon.pid, daemon.healthPort);
    expect(listening).toEqual(['127.0.0.1']);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i !== undefined && !i.internal)
      .map((i) => i?.address);
    if (others.length === 0)
      console.warn('no non-loopback interface on this machine: only the wildcard check applies');
    for (const address of [...others, '0.0.0.0', '::']) expect(listening).not.toContain(address);
    const live = await fetch(`http://127.0.0.1:${daemon.healthPort}/health/live`);
    expect(live.status).toBe(200);
  });

  it(`answers every one of ${FUZZ_FRAMES.toLocaleString('en')} fuzzed frames, stays up, memory bounded`, async () => {
    const pool = fuzzPool(4096, 20261123);
    const rssBefore = rssBytes(daemon.pid) as number;
    const fdsBefore = fdCount(daemon.pid) as number;
    const started = performance.now();
    const connections = 4;
    const perConnection = Math.ceil(FUZZ_FRAMES / connections);
    const expected = new Map<string, number>();
    const sockets = await Promise.all(
      Array.from({ length: connections }, async (_, c) => {
        const connection = new RawConnection(paths.socketPath, false);
        await connection.connected;
        let sent = 0;
        let cursor = c * 1009;
        while (sent < perConnection) {
          const chunk: Buffer[] = [];
          for (let i = 0; i < 2000 && sent < perConnection; i++, sent++) {
            const f = pool[cursor++ % pool.length];
            if (!f) continue;
            chunk.push(f.bytes);
            expected.set(f.expected, (expected.get(f.expected) ?? 0) + 1);
          }
          await connection.write(Buffer.concat(chunk));
        }
        await connection.waitForResponses(sent, 120_000);
        return { connection, sent };
      }),
    );
    // Huge length prefixes, each on its own connection: answered, then closed.
    // (In waves of 10, so that they stay under maxConnections.)
    const huge: RawConnection[] = [];
    for (let wave = 0; wave < 5; wave++) {
      huge.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, async (_, j) => {
            const i = wave * 10 + j;
            const connection = new RawConnection(paths.socketPath);
            await connection.connected;
            const header = Buffer.alloc(4);
            header.writeUInt32BE(MiB + 1 + i * 80_000_000, 0);
            await connection.write(Buffer.concat([header, Buffer.from('{"id":')]));
            await Promise.race([connection.closed, sleep(10_000)]);
            return connection;
          }),
        )),
      );
    }
    const elapsed = performance.now() - started;
    await sleep(500);
    const rssAfter = rssBytes(daemon.pid) as number;
    const received = new Map<string, number>();
    let sent = 0;
    let answered = 0;
    for (const { connection, sent: n } of sockets) {
      sent += n;
      answered += connection.count;
      for (const [code, count] of connection.codes) received.set(code, (received.get(code) ?? 0) + count);
      connection.close();
    }
    console.log(
      `fuzz: ${sent.toLocaleString('en')} frames answered ${answered.toLocaleString('en')} in ${(elapsed / 1000).toFixed(1)} s ` +
        `(${Math.round(sent / (elapsed / 1000)).toLocaleString('en')} frames/s); daemon RSS ${(rssBefore / MiB).toFixed(1)} → ${(rssAfter / MiB).toFixed(1)} MiB; ` +
        `codes ${JSON.stringify(Object.fromEntries(received))}`,
    );
    expect(sent).toBeGreaterThanOrEqual(FUZZ_FRAMES);
    expect(answered).toBe(sent);
    expect(Object.fromEntries(received)).toEqual(Object.fromEntries(expected));
    for (const connection of huge) {
      expect(connection.closedAt).toBeDefined();
      expect(connection.responses).toEqual([
        expect.objectContaining({
          id: '',
          success: false,
          code: 'FLOWTRACE_FRAME_TOO_LARGE',
          retryable: false,
        }),
      ]);
    }
    expect(daemon.hasExited).toBe(false);
    expect(rssAfter).toBeLessThan(Math.max(rssBefore * 2, rssBefore + 256 * MiB));
    await sleep(300);
    expect(fdCount(daemon.pid)).toBeLessThanOrEqual(fdsBefore + 2);
    const health = await statusOf();
    expect(health.components.unixSocket.responsesDropped).toBe(0);
  }, 300_000);
});
