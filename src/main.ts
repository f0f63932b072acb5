import { loadConfig } from './config';
import { createLogger } from './logger';
import { startServer } from './server';

/** `npm start`: the service, configured from the environment (see README: Configuration). */
const config = loadConfig();
const log = createLogger(config.logLevel, config.logFormat);
const server = await startServer(config, log).catch((err: NodeJS.ErrnoException) => {
  log.error(err.code === 'EADDRINUSE' ? `Port ${config.port} is already in use; set PORT to a free one.` : `Could not start: ${err.message}`);
  process.exit(1);
});

/**
 * Ctrl-C in a terminal reaches this process twice at once: from the terminal (it signals the
 * whole foreground process group) and forwarded by npm. Only a signal well after the first one
 * is a second Ctrl-C, which forces the exit.
 */
const REPEAT_SIGNAL_MS = 1000;
let stoppingSince: number | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stoppingSince !== null) {
      if (Date.now() - stoppingSince >= REPEAT_SIGNAL_MS) process.exit(1);
      return;
    }
    stoppingSince = Date.now();
    log.info(`${signal}: finishing the current chunk and handing running conversions back…`);
    server.close().then(
      () => process.exit(0),
      (err) => {
        log.error('Shutdown failed', err);
        process.exit(1);
      },
    );
  });
}
