import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../src/db/embedded';

/**
 * The embedded database's loopback port asks for the password made up at start (issue 11): a
 * client without it, or with a wrong one, is refused with PostgreSQL's own error; the service's
 * URL (with the password) works; the socket behind the port is in a folder of mode 0700.
 */
describe('embedded database socket: a password', () => {
  let dataDir: string;
  let db: EmbeddedDatabase;
  let url: URL;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-socket-'));
    db = await startEmbeddedDatabase(dataDir);
    url = new URL(db.url);
  });
  after(async () => {
    await db?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const connect = async (password: string | undefined) => {
    const client = new pg.Client({ host: url.hostname, port: Number(url.port), user: 'postgres', database: 'postgres', password });
    try {
      await client.connect();
      return (await client.query('SELECT 40 + 2 AS answer')).rows[0].answer as number;
    } finally {
      await client.end().catch(() => {});
    }
  };

  test('the URL the service is given carries a long random password, and it works', async () => {
    assert.equal(url.hostname, '127.0.0.1');
    assert.ok(decodeURIComponent(url.password).length >= 32);
    assert.equal(await connect(decodeURIComponent(url.password)), 42);
    // Twice: the connection before was let go, the next one is served.
    assert.equal(await connect(decodeURIComponent(url.password)), 42);
  });

  test('a wrong password is refused with 28P01', async () => {
    await assert.rejects(connect('not-the-password'), (err: Error & { code?: string }) => err.code === '28P01' && /password authentication failed/.test(err.message));
    await assert.rejects(connect(''), (err: Error & { code?: string }) => err.code === '28P01' || /password/.test(err.message));
  });

  test('a client that skips the password and sends a query gets an error and no data', async () => {
    const socket = net.connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + params.length, 0);
    startup.writeInt32BE(196608, 4);
    const sql = Buffer.from('SELECT 42\0');
    const query = Buffer.alloc(5);
    query.write('Q', 0);
    query.writeInt32BE(4 + sql.length, 1);
    socket.write(Buffer.concat([startup, params, query, sql]));
    const received: Buffer[] = [];
    socket.on('data', (d) => received.push(d));
    await new Promise((resolve) => socket.once('close', resolve));
    const all = Buffer.concat(received);
    assert.equal(String.fromCharCode(all[0]), 'R', 'asked for a password');
    assert.equal(all.readInt32BE(5), 5, 'an MD5 challenge');
    const rest = all.subarray(13);
    assert.equal(String.fromCharCode(rest[0]), 'E');
    assert.match(rest.toString('utf8'), /28P01/);
    assert.equal(all.length, 13 + 1 + rest.readInt32BE(1), 'the challenge and the error, then the connection is closed: no rows');
  });

  test('a database thread that dies is started again on the same folder, with its data', async () => {
    const password = decodeURIComponent(url.password);
    const client = new pg.Client({ host: url.hostname, port: Number(url.port), user: 'postgres', database: 'postgres', password });
    await client.connect();
    await client.query(`CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)`);
    await client.end();
    await db.crashThread();
    // Meanwhile the port is still open (the front) but connections fail; then they work again.
    let answer: number | null = null;
    for (let attempt = 0; attempt < 100 && answer === null; attempt++) {
      const again = new pg.Client({ host: url.hostname, port: Number(url.port), user: 'postgres', database: 'postgres', password });
      try {
        await again.connect();
        answer = (await again.query('SELECT x FROM kept')).rows[0].x as number;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      } finally {
        await again.end().catch(() => {});
      }
    }
    assert.equal(answer, 7);
  });

  test("pglite-socket itself listens on a Unix socket in a folder only this user may enter", () => {
    const run = path.join(dataDir, 'run');
    assert.equal(fs.statSync(run).mode & 0o777, 0o700);
    assert.ok(fs.statSync(path.join(run, 'pglite.sock')).isSocket());
  });
});
