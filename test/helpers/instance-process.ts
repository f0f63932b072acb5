import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { bundle } from '../../scripts/bundle.mjs';
import { ROOT } from './server';

const BUNDLE = path.join(ROOT, '.tmp/instances/main.mjs');

/** Bundles the service the way `npm start` does, once per test process; the path of the bundle. */
let bundled: Promise<string> | null = null;
export function bundleService(): Promise<string> {
  return (bundled ??= bundle(path.join(ROOT, 'src/main.ts'), BUNDLE).then(() => BUNDLE));
}

/**
 * Why instances cannot get disks of their own here, or null when they can: each runs in its own
 * mount namespace (`unshare -m`, which needs root) with a private tmpfs mounted at DATA_DIR, and
 * its own hostname (`-u`), as on separate machines.
 */
export function diskIsolationUnavailable(): string | null {
  if (process.platform !== 'linux') return 'needs Linux mount namespaces';
  const probe = spawnSync('unshare', ['-m', '-u', 'sh', '-c', 'mount -t tmpfs c2r-probe /mnt && umount /mnt'], { encoding: 'utf8' });
  if (probe.error) return `unshare is not available (${probe.error.message})`;
  if (probe.status !== 0) return `unshare -m with a tmpfs mount failed (needs root): ${probe.stderr.trim()}`;
  return null;
}

export interface InstanceOptions {
  /** Hostname inside the instance's namespace, so worker ids differ as on separate machines. */
  name: string;
  env: Record<string, string>;
  /** Mounts a private tmpfs at env.DATA_DIR, seen by this instance only. */
  ownDisk: boolean;
}

/** A coord2region instance in a child process (the bundled service, as `npm start` runs it). */
export class InstanceProcess {
  readonly lines: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
    readonly url: string,
  ) {}

  static async start(options: InstanceOptions): Promise<InstanceProcess> {
    const main = await bundleService();
    // The instance's URL is read from its 'listening on' line, logged at info level.
    const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', ...options.env, LOG_LEVEL: options.env.LOG_LEVEL === 'debug' ? 'debug' : 'info' };
    const node = [process.execPath, '--max-old-space-size=320', '--enable-source-maps', main];
    const child = options.ownDisk
      ? spawn(
          'unshare',
          ['-m', '-u', '--propagation', 'private', 'sh', '-c', 'hostname "$1" && mount -t tmpfs -o size=1g c2r-disk "$2" && shift 2 && exec "$@"', 'sh', options.name, options.env.DATA_DIR ?? "", ...node],
          { env, stdio: ['ignore', 'pipe', 'pipe'] },
        )
      : spawn(node[0], node.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      let rest = '';
      const onData = (chunk: Buffer) => {
        const parts = (rest + chunk.toString('utf8')).split('\n');
        rest = parts.pop()!;
        for (const line of parts) {
          lines.push(line);
          const match = /listening on (http:\/\/[^\s"]+) \(/.exec(line);
          if (match) resolve(match[1]);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => reject(new Error(`Instance ${options.name} exited (${code ?? signal}) before listening:\n${lines.join('\n')}`)));
    });
    child.removeAllListeners('exit');
    const instance = new InstanceProcess(child, options.name, url);
    instance.lines.push(...lines);
    child.stdout!.removeAllListeners('data');
    child.stderr!.removeAllListeners('data');
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const parts = (rest + chunk.toString('utf8')).split('\n');
        rest = parts.pop()!;
        instance.lines.push(...parts);
      });
    }
    return instance;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Waits until GET /readyz answers 200 (database, migrations, boundary set, storage). */
  async ready(timeoutMs = 180_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const status = await fetch(`${this.url}/readyz`).then((r) => r.status, () => 0);
      if (status === 200) return;
      if (this.exited || Date.now() > until) throw new Error(`Instance ${this.name} did not become ready:\n${this.lines.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGKILL: the process dies at once, handing nothing back (its lease has to run out). */
  async kill(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM, as an orchestrator stops an instance; SIGKILL if it has not exited after 30 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}
