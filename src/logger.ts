/**
 * A deliberately small logger: one line per event, level filtered, no dependency. As text
 * (`time LEVEL message key=value…`) or, with LOG_FORMAT=json, one JSON object per line
 * (`{"time","level","msg",…fields,"err"}`) for log collectors. `child` binds fields such as the
 * conversion id to every line it writes.
 */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'text' | 'json';
const rank: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export type LogFields = Record<string, string | number | boolean | null>;

export interface Logger {
  error(msg: string, extra?: unknown): void;
  warn(msg: string, extra?: unknown): void;
  info(msg: string, extra?: unknown): void;
  debug(msg: string, extra?: unknown): void;
  /** A logger that adds these fields to every line. */
  child(fields: LogFields): Logger;
}

export function createLogger(level: LogLevel, format: LogFormat = 'text', fields: LogFields = {}): Logger {
  const emit = (at: LogLevel, msg: string, extra?: unknown) => {
    if (rank[at] > rank[level]) return;
    const line = format === 'json' ? jsonLine(at, msg, fields, extra) : textLine(at, msg, fields, extra);
    (at === 'error' || at === 'warn' ? process.stderr : process.stdout).write(line + '\n');
  };
  return {
    error: (m, e) => emit('error', m, e),
    warn: (m, e) => emit('warn', m, e),
    info: (m, e) => emit('info', m, e),
    debug: (m, e) => emit('debug', m, e),
    child: (more) => createLogger(level, format, { ...fields, ...more }),
  };
}

function textLine(at: LogLevel, msg: string, fields: LogFields, extra: unknown): string {
  const bound = Object.entries(fields).map(([k, v]) => ` ${k}=${v}`).join('');
  const tail = extra === undefined ? '' : ` ${extra instanceof Error ? extra.stack ?? extra.message : JSON.stringify(extra)}`;
  return `${new Date().toISOString()} ${at.toUpperCase()} ${msg}${bound}${tail}`;
}

function jsonLine(at: LogLevel, msg: string, fields: LogFields, extra: unknown): string {
  const entry: Record<string, unknown> = { time: new Date().toISOString(), level: at, msg, ...fields };
  if (extra instanceof Error) entry.err = { name: extra.name, message: extra.message, stack: extra.stack };
  else if (extra !== undefined) entry.extra = extra;
  return JSON.stringify(entry);
}
