import { createRequire } from 'node:module';

interface DgramServer {
  on(event: 'message', listener: (buffer: Buffer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  bind(path: string): void;
  close(): void;
}

/** A datagram socket the test itself listens on, standing in for systemd's NOTIFY_SOCKET. */
export class NotifyListener {
  readonly messages: string[] = [];
  private readonly socket: DgramServer;

  constructor(readonly path: string) {
    const require = createRequire(import.meta.url);
    const unix = require('unix-dgram') as { createSocket(type: 'unix_dgram'): DgramServer };
    this.socket = unix.createSocket('unix_dgram');
    this.socket.on('message', (buffer) => this.messages.push(buffer.toString('utf8')));
    this.socket.on('error', () => {});
    this.socket.bind(path);
  }

  /** Every `KEY=VALUE` assignment received, in order. */
  assignments(): Array<[string, string]> {
    return this.messages.flatMap((m) =>
      m.split('\n').map((line): [string, string] => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)];
      }),
    );
  }

  has(key: string, value?: string): boolean {
    return this.assignments().some(([k, v]) => k === key && (value === undefined || v === value));
  }

  close(): void {
    this.socket.close();
  }
}
