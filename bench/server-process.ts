import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.mjs';
import type { OldWayResult } from './old-way';

export type ParentMessage =
  | { type: 'oldWay'; points: [number, number][] }
  | { type: 'compareGrid'; setName: string; points: number }
  | { type: 'memory' }
  | { type: 'close' };
export interface GridComparison {
  points: number;
  gridMatches: number;
  differing: number;
  firstDifference: string | null;
}
export type ChildMessage =
  | { type: 'ready'; url: string; grid: GridReadiness }
  | ({ type: 'oldWay' } & OldWayResult)
  | ({ type: 'compareGrid' } & GridComparison)
  | { type: 'memory'; maxRssKb: number; heapUsed: number; heapTotal: number; external: number }
  | { type: 'error'; message: string };

/** The default set's interior grid when the server became ready, and how long that took. */
export interface GridReadiness {
  state: string;
  ms: number;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD_SOURCE = path.join(HERE, 'server-child.ts');
const CHILD = path.join(HERE, '..', 'dist', 'bench-server.mjs');

/**
 * The Node flags `npm start` gives the server (its heap cap, source maps), read from package.json
 * so the bench measures the server as it ships.
 */
function startScriptNodeFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(HERE, '..', 'package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((a) => /^--max-old-space-size=\d+$|^--enable-source-maps$/.test(a));
}

/** The server under test as a child process, and what the bench asks of it. */
export class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly grid: GridReadiness,
  ) {}

  static async start(env: Record<string, string | undefined>): Promise<ServerProcess> {
    // Bundled and run like `npm start` runs the server (see scripts/bundle.mjs).
    await bundle(CHILD_SOURCE, CHILD);
    const child = fork(CHILD, [], {
      execArgv: startScriptNodeFlags(),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = await new Promise<ChildMessage>((resolve, reject) => {
      child.once('message', (m: ChildMessage) => resolve(m));
      child.once('exit', (code) => reject(new Error(`The server exited with code ${code} before it was ready`)));
    });
    if (ready.type !== 'ready') throw new Error(`Unexpected first message from the server: ${JSON.stringify(ready)}`);
    child.removeAllListeners('exit');
    return new ServerProcess(child, ready.url, ready.grid);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * Peak resident memory of the server process since the last resetPeak (VmHWM; where /proc is
   * missing, the process's own maxRSS over its life), and the sampled peaks of its V8 heap and
   * external memory since the previous call, in bytes.
   */
  async peakMemory(): Promise<{ rss: number; heapUsed: number; heapTotal: number; external: number }> {
    const { maxRssKb, heapUsed, heapTotal, external } = await this.ask({ type: 'memory' }, 'memory');
    const hwm = readStatusKb(this.pid, 'VmHWM');
    return { rss: (hwm ?? maxRssKb) * 1024, heapUsed, heapTotal, external };
  }

  /**
   * CPU seconds the server process has used so far, all its threads (main, reading worker, libuv's
   * pool for deflate), from /proc; null elsewhere. Its database's work is not in it. On a shared
   * machine this moves less with the load than wall time does.
   */
  cpuSeconds(): number | null {
    try {
      const fields = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      // utime and stime (fields 14 and 15 of stat; 12 and 13 after the command), in clock ticks of 1/100 s.
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return null;
    }
  }

  currentRssBytes(): number | null {
    const kb = readStatusKb(this.pid, 'VmRSS');
    return kb === null ? null : kb * 1024;
  }

  /** Starts a new peak-memory window (Linux: writing 5 to clear_refs resets VmHWM). */
  resetPeak(): boolean {
    try {
      fs.writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  async oldWay(points: [number, number][]): Promise<OldWayResult> {
    const { type: _type, ...result } = await this.ask({ type: 'oldWay', points }, 'oldWay');
    return result;
  }

  /** The bench's points on a set with and without the interior grid, compared row for row. */
  async compareGrid(setName: string, points: number): Promise<GridComparison> {
    const { type: _type, ...result } = await this.ask({ type: 'compareGrid', setName, points }, 'compareGrid');
    return result;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'close' } satisfies ParentMessage);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  private ask<T extends ChildMessage['type']>(msg: ParentMessage, reply: T): Promise<Extract<ChildMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: ChildMessage) => {
        if (m.type === 'error') {
          this.child.off('message', onMessage);
          reject(new Error(m.message));
        } else if (m.type === reply) {
          this.child.off('message', onMessage);
          resolve(m as Extract<ChildMessage, { type: T }>);
        }
      };
      this.child.on('message', onMessage);
      this.child.send(msg);
    });
  }
}

function readStatusKb(pid: number, field: string): number | null {
  try {
    const match = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
