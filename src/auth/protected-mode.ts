import net from 'node:net';

/**
 * Protected mode: conversions hold personal data (plates, positions), so the service refuses to
 * listen beyond this machine without API keys unless AUTH=off says the risk is accepted.
 * Returns the message to stop with, or null when starting is fine.
 */
export function protectedModeProblem(host: string, keysConfigured: boolean, authOff: boolean): string | null {
  if (keysConfigured || authOff || isLoopback(host)) return null;
  return (
    `HOST=${host} would let anyone on the network list and download every conversion, and no API keys are set. ` +
    `Set API_KEYS="name:key" (or API_KEYS_FILE=/path/to/keys; keys of at least 16 characters, "name:key:admin" for an admin) ` +
    `so every request needs "Authorization: Bearer <key>", or listen on HOST=127.0.0.1, ` +
    `or set AUTH=off to accept the risk explicitly. · API 키 없이 외부 주소에서 실행할 수 없습니다: API_KEYS를 설정하거나 AUTH=off로 위험을 명시적으로 감수하세요.`
  );
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1';
  return false;
}
