import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ROOT, freshDataDir } from './helpers/server';

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Started {
  npm: ChildProcess;
  port: number;
  /** The server's own process (from the ready line). */
  serverPid: number;
  pageUrl: string;
  ideUrl: string;
  output: () => string;
}

/** `npm start` as a user runs it, until its "ready" line. */
async function npmStart(dataDir: string): Promise<Started> {
  const port = await freePort();
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npm.stdout!.on('data', (d) => (output += d));
  npm.stderr!.on('data', (d) => (output += d));
  const ready = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = () => {
      const m = output.match(/ready: web page (\S+), GraphQL IDE (\S+) .*pid (\d+)\)/);
      if (m) resolve(m);
    };
    npm.stdout!.on('data', check);
    npm.once('exit', (code) => reject(new Error(`npm start exited with ${code} before it was ready:\n${output}`)));
  });
  return { npm, port, pageUrl: ready[1], ideUrl: ready[2], serverPid: Number(ready[3]), output: () => output };
}

/** Resolves with the exit of `child`, or rejects after `ms` (the stop must not depend on a kill). */
function exitWithin(child: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`still running ${ms} ms after the signal`)), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('npm start', () => {
  let dataDir: string;
  const started: Started[] = [];
  before(async () => {
    dataDir = await freshDataDir();
  });
  after(() => {
    for (const s of started) for (const pid of [s.npm.pid!, s.serverPid]) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('logs a ready line with the page and the IDE; SIGTERM to the npm process stops the server within 10 s, nothing left', async () => {
    const s = await npmStart(dataDir);
    started.push(s);
    assert.equal(s.pageUrl, `http://127.0.0.1:${s.port}/`);
    assert.equal(s.ideUrl, `http://127.0.0.1:${s.port}/graphql`);
    const ide = await fetch(s.ideUrl, { headers: { accept: 'text/html' } });
    assert.match(await ide.text(), /AltairGraphQL/);
    // One node process under npm: no shell between them to swallow the signal.
    assert.notEqual(s.serverPid, s.npm.pid);

    s.npm.kill('SIGTERM');
    await exitWithin(s.npm, 10_000);
    for (let i = 0; i < 50 && isRunning(s.serverPid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(isRunning(s.serverPid), false, `the server (pid ${s.serverPid}) was left running:\n${s.output()}`);
    assert.equal(await isListening(s.port), false);
    assert.match(s.output(), /SIGTERM: finishing the current chunk/);
  });

  test('SIGINT to the server process itself stops it and npm with it', async () => {
    const s = await npmStart(dataDir);
    started.push(s);
    process.kill(s.serverPid, 'SIGINT');
    await exitWithin(s.npm, 10_000);
    assert.equal(isRunning(s.serverPid), false);
    assert.equal(await isListening(s.port), false);
    assert.match(s.output(), /SIGINT: finishing the current chunk/);
  });
});
