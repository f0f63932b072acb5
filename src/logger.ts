/** A deliberately small logger: one line per event, level filtered, no dependency. */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
const rank: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export interface Logger {
  error(msg: string, extra?: unknown): void;
  warn(msg: string, extra?: unknown): void;
  info(msg: string, extra?: unknown): void;
  debug(msg: string, extra?: unknown): void;
}

export function createLogger(level: LogLevel): Logger {
  const emit = (at: LogLevel, msg: string, extra?: unknown) => {
    if (rank[at] > rank[level]) return;
    const line = `${new Date().toISOString()} ${at.toUpperCase()} ${msg}`;
    const tail = extra === undefined ? '' : ` ${extra instanceof Error ? extra.stack ?? extra.message : JSON.stringify(extra)}`;
    (at === 'error' || at === 'warn' ? process.stderr : process.stdout).write(line + tail + '\n');
  };
  return {
    error: (m, e) => emit('error', m, e),
    warn: (m, e) => emit('warn', m, e),
    info: (m, e) => emit('info', m, e),
    debug: (m, e) => emit('debug', m, e),
  };
}
