/** Ready-to-paste Diun notifier configuration for this server. */

export const SECRET_PLACEHOLDER = '<your secret>';

export function webhookUrl(webhookPath: string, baseUri: string): string {
  return new URL(webhookPath, baseUri).href;
}

export function diunConfigYaml(endpoint: string, secretSet: boolean): string {
  const lines = [
    'notif:',
    '  webhook:',
    `    endpoint: ${endpoint}`,
    '    method: POST',
    '    headers:',
    '      content-type: application/json',
  ];
  if (secretSet) lines.push(`      authorization: ${SECRET_PLACEHOLDER}`);
  lines.push('    timeout: 10s');
  return lines.join('\n') + '\n';
}

/** The same settings as Diun's environment variables (Diun in a container), one `NAME=value` a line. */
export function diunConfigEnv(endpoint: string, secretSet: boolean): string {
  const lines = [`DIUN_NOTIF_WEBHOOK_ENDPOINT=${endpoint}`, 'DIUN_NOTIF_WEBHOOK_METHOD=POST'];
  if (secretSet) lines.push(`DIUN_NOTIF_WEBHOOK_HEADERS_AUTHORIZATION=${SECRET_PLACEHOLDER}`);
  lines.push('DIUN_NOTIF_WEBHOOK_TIMEOUT=10s');
  return lines.join('\n') + '\n';
}

/** Whether a host name only reaches this machine (what Diun in a container, or on another host, cannot use). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1' || h === '0.0.0.0' || h === '::';
}

/**
 * The webhook URL with the scheme, host and port the user typed (`nas.lan:8080`,
 * `https://diun.example.com`), keeping the path; null when it is not an address.
 */
export function withAddress(url: string, typed: string): string | null {
  const text = typed.trim();
  if (!text) return null;
  try {
    const given = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
    if (given.protocol !== 'http:' && given.protocol !== 'https:') return null;
    if (!given.hostname) return null;
    const out = new URL(url);
    out.protocol = given.protocol;
    out.hostname = given.hostname;
    // Setting only the host name keeps the old port: the typed one (or none, the scheme's default) wins.
    out.port = given.port;
    return out.href;
  } catch {
    return null;
  }
}
