import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';

/** Protocol codes of the first message a PostgreSQL client sends (no type byte before them). */
const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** A startup message is a few hundred bytes; anything bigger is not a PostgreSQL client. */
const MAX_STARTUP_BYTES = 10_000;
/** An unauthenticated connection that says nothing for this long is dropped. */
const AUTH_TIMEOUT_MS = 10_000;

export interface PasswordFront {
  /** host:port on loopback. */
  address: string;
  close(): Promise<void>;
}

/**
 * The embedded database's loopback port, with a password. PGlite and pglite-socket accept any
 * client (PGlite is single-user and answers a startup message with AuthenticationOk), so on a
 * shared machine another local user could open the port and read or change every conversion.
 * Here the socket server listens on a Unix socket in a folder only this user can enter, and this
 * front, on 127.0.0.1, asks each client for the password (MD5 challenge, as PostgreSQL's `md5`
 * method: the password never crosses the socket) before it passes the client's own startup
 * message and everything after it through to that socket. A wrong or missing password gets
 * PostgreSQL's own error (28P01) and the connection is closed.
 */
export function startPasswordFront(options: { upstreamPath: string; user: string; password: string }): Promise<PasswordFront> {
  const sockets = new Set<net.Socket>();
  // noDelay: replies are many small writes; with Nagle's algorithm each one waited for the client's
  // delayed ACK (one query per point ran at 25 points/s).
  const server = net.createServer({ noDelay: true }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    void authenticate(client, options).then(
      (startup) => {
        if (!startup) return client.destroy();
        const upstream = net.connect(options.upstreamPath);
        sockets.add(upstream);
        upstream.once('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => client.destroy());
        client.once('close', () => upstream.destroy());
        upstream.write(startup.message);
        if (startup.rest.length) upstream.write(startup.rest);
        client.pipe(upstream).pipe(client);
        client.resume();
      },
      () => client.destroy(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        address: `127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** PostgreSQL's md5 answer: "md5" + md5(md5(password + user) + salt). */
export function md5Answer(password: string, user: string, salt: Buffer): string {
  const inner = createHash('md5').update(password + user).digest('hex');
  return `md5${createHash('md5').update(Buffer.concat([Buffer.from(inner), salt])).digest('hex')}`;
}

/**
 * Runs the start of the protocol with the client: answers SSL/GSS requests with 'N', reads its
 * startup message, sends an MD5 challenge and checks the answer. Returns the startup message (to
 * pass on) and whatever the client sent after its password, or null when it is refused.
 */
async function authenticate(client: net.Socket, options: { user: string; password: string }): Promise<{ message: Buffer; rest: Buffer } | null> {
  const reader = new MessageReader(client);
  try {
    let startup: Buffer;
    for (;;) {
      startup = await reader.untyped();
      const code = startup.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSS_REQUEST) {
        client.write('N');
        continue;
      }
      if (code !== PROTOCOL_3) return null; // a cancel request (PGlite has nothing to cancel) or garbage
      break;
    }
    const user = startupParameters(startup).get('user') ?? '';
    const salt = randomBytes(4);
    const challenge = Buffer.alloc(13);
    challenge.write('R', 0);
    challenge.writeInt32BE(12, 1);
    challenge.writeInt32BE(5, 5);
    salt.copy(challenge, 9);
    client.write(challenge);
    const answer = await reader.typed();
    const given = answer.type === 'p' ? Buffer.from(answer.body.subarray(0, Math.max(0, answer.body.indexOf(0)))) : Buffer.alloc(0);
    const expected = Buffer.from(md5Answer(options.password, user, salt));
    if (user !== options.user || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      client.end(errorResponse(`password authentication failed for user "${user}"`));
      return null;
    }
    return { message: startup, rest: reader.rest() };
  } catch {
    return null;
  } finally {
    reader.detach();
  }
}

function startupParameters(message: Buffer): Map<string, string> {
  const parts = message.subarray(8).toString('utf8').split('\0');
  const params = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length && parts[i]; i += 2) params.set(parts[i], parts[i + 1]);
  return params;
}

function errorResponse(message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C28P01\0M${message}\0\0`);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

/** Reads whole protocol messages from a socket that is not piped yet (bounded, with a timeout). */
class MessageReader {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private failed: Error | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly onData = (chunk: Buffer) => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (this.buffer.length > MAX_STARTUP_BYTES) this.fail(new Error('too much before authentication'));
    this.wake?.();
  };
  private readonly onEnd = () => this.fail(new Error('closed'));

  constructor(private readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.once('end', this.onEnd);
    socket.once('close', this.onEnd);
    this.timer = setTimeout(() => this.fail(new Error('authentication timed out')), AUTH_TIMEOUT_MS);
  }

  /** A message without a type byte (startup, SSL request): int32 length including itself. */
  async untyped(): Promise<Buffer> {
    await this.need(8);
    const length = this.buffer.readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP_BYTES) throw new Error('bad startup length');
    await this.need(length);
    return this.take(length);
  }

  async typed(): Promise<{ type: string; body: Buffer }> {
    await this.need(5);
    const length = this.buffer.readInt32BE(1);
    if (length < 4 || length > MAX_STARTUP_BYTES) throw new Error('bad message length');
    await this.need(1 + length);
    const message = this.take(1 + length);
    return { type: String.fromCharCode(message[0]), body: message.subarray(5) };
  }

  rest(): Buffer {
    return this.take(this.buffer.length);
  }

  /** Stops listening; the socket is paused so nothing is lost before it is piped. */
  detach(): void {
    clearTimeout(this.timer);
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
  }

  private take(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  private fail(err: Error): void {
    this.failed ??= err;
    this.wake?.();
  }

  private async need(n: number): Promise<void> {
    while (this.buffer.length < n) {
      if (this.failed) throw this.failed;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    if (this.failed && this.buffer.length < n) throw this.failed;
  }
}
