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

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second Ctrl-C forces it
    stopping = true;
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
