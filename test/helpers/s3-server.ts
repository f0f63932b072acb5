import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

// The SDK warns once per process that its releases from 2027 on need Node 22; not news to a test.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * A real S3 API on a loopback port (s3rver, objects kept in a temporary folder), and the
 * environment an instance needs to use it: STORAGE_URL and the standard AWS variables.
 * `stop()` and `start()` take it down and bring it back on the same port, with its objects.
 */
export class TestS3Server {
  private server: S3rver | null = null;
  private port = 0;

  private constructor(
    readonly bucket: string,
    private readonly directory: string,
  ) {}

  static async start(bucket = 'c2r-test'): Promise<TestS3Server> {
    const s3 = new TestS3Server(bucket, fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-s3-')));
    await s3.start();
    return s3;
  }

  async start(): Promise<void> {
    this.server = new S3rver({ address: '127.0.0.1', port: this.port, silent: true, directory: this.directory, configureBuckets: [{ name: this.bucket }] });
    this.port = (await this.server.run()).port;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = null;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What an instance is given to keep its files under `s3://bucket/prefix`. */
  env(prefix: string): Record<string, string> {
    return {
      STORAGE_URL: `s3://${this.bucket}/${prefix}`,
      AWS_ENDPOINT_URL_S3: this.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  }

  client(): S3Client {
    return new S3Client({
      region: 'us-east-1',
      endpoint: this.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Keys and sizes of the objects under a prefix, read through the S3 API. */
  async list(prefix: string): Promise<Map<string, number>> {
    const client = this.client();
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix }));
      return new Map((listed.Contents ?? []).map((o) => [o.Key!, o.Size ?? 0]));
    } finally {
      client.destroy();
    }
  }

  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.directory, { recursive: true, force: true });
  }
}
