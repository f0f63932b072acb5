import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyRing } from './auth/api-keys';
import { DownloadLinks, downloadSecret } from './auth/download-links';
import { protectedModeProblem } from './auth/protected-mode';
import { CatalogCache } from './boundaries/catalog';
import { ensureDefaultBoundarySet } from './boundaries/default-set';
import { BoundarySetService } from './boundaries/set-service';
import type { Config } from './config';
import { ConversionService } from './conversion/conversion-service';
import { FileStore } from './conversion/file-store';
import { createMetricsRegistry } from './metrics/registry';
import { openStorage } from './storage/open-storage';
import { JobQueue } from './conversion/job-queue';
import { Retention, startRetentionSweeps } from './conversion/retention';
import { ConversionRunner } from './conversion/runner';
import { Worker } from './conversion/worker';
import { openDatabase, type Database } from './db/database';
import { checkSqlFunctions } from './db/function-drift';
import { Geocoder } from './geocode/geocoder';
import { InteriorGridCache } from './geocode/interior-grid-cache';
import { ReverseGeocodeService } from './geocode/reverse-geocode-service';
import { geocodeSqlFunctions } from './geocode/sql-functions';
import { warmUpGeocoder } from './geocode/warm-up';
import { createHttpApp } from './http/app';
import { createLogger, type Logger } from './logger';
import { PreviewService } from './preview/preview-service';
import { InProcessBus } from './pubsub/in-process-bus';
import { PgNotifyBus } from './pubsub/pg-notify-bus';
import type { ProgressBus } from './pubsub/progress-bus';
import { ThrottledPublisher } from './pubsub/throttled-publisher';
import type { Services } from './schema/context';
import { buildAppSchema } from './resolvers/build-schema';
import { TileService } from './tiles/tile-service';
import { ConversionSummaryService } from './conversion/summary-service';
import { configureReading } from './reading/worker-source';

export interface RunningServer {
  /** http://host:port of the listening server. */
  url: string;
  port: number;
  db: Database;
  services: Services;
  worker: Worker;
  grids: InteriorGridCache;
  /** Uploads and outputs, in the configured storage. */
  store: FileStore;
  /** The retention sweep (runs every RETENTION_SWEEP_SECONDS; tests call `sweep()` themselves). */
  retention: Retention;
  /** Resolves once the bundled boundary set is loaded (at once when a set exists) and the worker runs. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Wires the service together and starts listening. The HTTP server is up as soon as the database
 * is migrated; the bundled boundaries load in the background on first start (healthz says 503
 * until then) and the worker starts after them.
 */
export interface StartOptions {
  /** Start the worker once boundaries are ready (default). Tests turn it off to start it themselves. */
  startWorker?: boolean;
}

export async function startServer(
  config: Config,
  log: Logger = createLogger(config.logLevel, config.logFormat),
  options: StartOptions = {},
): Promise<RunningServer> {
  if (config.readerHeapMb) configureReading({ heapMb: config.readerHeapMb });
  const keys = new KeyRing(config.apiKeys);
  const refusal = protectedModeProblem(config.host, keys.enabled, config.authOff);
  if (refusal) throw new Error(refusal);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
  const { dataSource } = db;
  const sqlFunctions = await checkSqlFunctions(dataSource, geocodeSqlFunctions(), log);
  const downloadLinks = new DownloadLinks(await downloadSecret(dataSource, config.downloadSecret), config.downloadUrlTtlSeconds);
  // Across instances only a real PostgreSQL can carry progress; PGlite is one process anyway.
  const bus: ProgressBus = db.embedded ? new InProcessBus() : await PgNotifyBus.connect(db.url, log);
  const publisher = new ThrottledPublisher(bus, config.progressIntervalMs);
  const storage = openStorage(config.storageUrl, config.dataDir, config.s3);
  const store = new FileStore(storage, config.dataDir);
  const boundarySets = new BoundarySetService(dataSource, config.defaultBoundarySet);
  const catalogs = new CatalogCache(dataSource);
  const queue = new JobQueue(dataSource, config.leaseSeconds, publisher);
  const retention = new Retention(dataSource, queue, store, config.retentionSeconds);
  const grids = new InteriorGridCache(dataSource, log, config.interiorGrid);
  const geocoder = new Geocoder(dataSource, catalogs, grids);
  const runner = new ConversionRunner({
    dataSource,
    queue,
    store,
    catalogs,
    sets: boundarySets,
    geocoder,
    chunkRows: config.chunkRows,
    progressIntervalMs: config.progressIntervalMs,
    xlsxWriterThread: config.xlsxWriterThread,
    defaultMaxDistanceMeters: config.maxDistanceMeters,
    limits: config.limits,
  });
  const worker = new Worker(
    dataSource,
    queue,
    runner,
    store,
    { slots: config.workers, leaseSeconds: config.leaseSeconds, maxAttempts: config.maxAttempts, pollMs: 1000 },
    log,
  );
  const services: Services = {
    conversions: new ConversionService(
      dataSource,
      queue,
      store,
      boundarySets,
      bus,
      config.maxUploadBytes,
      () => worker.wake(),
      retention,
      config.limits.maxActiveConversions,
    ),
    downloadLinks,
    boundarySets,
    summaries: new ConversionSummaryService(dataSource, catalogs, boundarySets),
    reverseGeocode: new ReverseGeocodeService(dataSource, boundarySets, catalogs, geocoder, config.maxDistanceMeters),
    preview: new PreviewService({
      dataSource,
      store,
      sets: boundarySets,
      catalogs,
      geocoder,
      maxUploadBytes: config.maxUploadBytes,
      limits: config.limits,
      defaultMaxDistanceMeters: config.maxDistanceMeters,
    }),
    maxUploadBytes: config.maxUploadBytes,
  };

  const schema = await buildAppSchema();
  // Idle keep-alive connections are kept a minute (Node's default is 5 s): a client whose event
  // loop is busy for longer (a test parsing a file, a proxy under load) would otherwise reuse a
  // connection the server has just closed and see its next request fail.
  const httpServer = http.createServer({ keepAliveTimeout: 65_000 });
  const { app, stop: stopApollo } = await createHttpApp({
    httpServer,
    schema,
    services,
    dataSource,
    grids,
    store,
    metrics: createMetricsRegistry(dataSource),
    downloadRedirect: config.downloadRedirect,
    sqlFunctions,
    tiles: new TileService(dataSource, boundarySets),
    embedded: db.embedded,
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
    maxUploadBytes: config.maxUploadBytes,
    graphqlIde: config.graphqlIde,
    corsOrigins: config.corsOrigins,
    maxJsonBytes: config.limits.maxJsonBytes,
    keys,
    log,
  });
  httpServer.on('request', app);
  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    await stopApollo().catch(() => {});
    await bus.close();
    await db.close();
    storage.close?.();
    throw err;
  }
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;
  log.info(
    `coord2region listening on ${url} (${db.embedded ? `embedded database in ${config.dataDir}` : 'PostgreSQL'}, storage ${storage.description}); loading boundaries…`,
  );
  log.info(keys.enabled ? `API keys: ${keys.keys.length} configured; every request needs one` : 'API keys: none (every request is accepted)');
  const sweeps = startRetentionSweeps(retention, config.retentionSweepMs, log);

  let closing: Promise<void> | null = null;
  let warmUp: Promise<void> = Promise.resolve();
  const ready = ensureDefaultBoundarySet(dataSource, log).then(async () => {
    if (options.startWorker !== false) worker.start();
    const ide = config.graphqlIde ? `, GraphQL IDE ${url}/graphql` : '';
    log.info(`coord2region ready: web page ${url}/${ide} (GraphQL POST and WebSocket ${url}/graphql; pid ${process.pid})`);
    // The default set's interior grid (loaded, or built in the background on first start) and
    // its catalog (names and polygon boxes), so the first conversion need not wait for either;
    // once both are in, one made-up chunk warms the geocoder up.
    const set = await boundarySets.resolve().catch(() => null);
    if (set) {
      warmUp = geocoder
        .prepare(set.id)
        .then(async () => {
          if (closing) return;
          await warmUpGeocoder(geocoder, { setId: set.id, maxDistanceMeters: config.maxDistanceMeters });
          // Then the default set's other dated versions (kostat 2013): prebuilt too, so rows dated
          // in them are at full speed from the first conversion.
          const { versions } = await boundarySets.resolveSet();
          for (const v of versions) if (v.id !== set.id && !closing) await geocoder.prepare(v.id);
        })
        .catch((err) => log.error(`Could not warm the geocoder up on boundary set ${set.id}`, err));
    }
  });
  ready.catch((err) => log.error('Could not load the bundled boundary set', err));

  const close = () =>
    (closing ??= (async () => {
      await ready.catch(() => {});
      await worker.stop();
      await sweeps.stop();
      await grids.close(); // stops a grid build, which the warm-up would wait for
      geocoder.close(); // and the pieces' cut after it
      await warmUp;
      publisher.close();
      await stopApollo();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await bus.close();
      await db.close();
      storage.close?.();
    })());

  return { url, port, db, services, worker, grids, store, retention, ready, close };
}
