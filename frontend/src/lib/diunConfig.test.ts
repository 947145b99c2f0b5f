import { describe, expect, it } from 'vitest';
import { diunConfigEnv, diunConfigYaml, isLoopbackHost, webhookUrl, withAddress } from './diunConfig';

describe('Diun configuration', () => {
  it('resolves the webhook against the base URI', () => {
    expect(webhookUrl('webhook', 'http://nas:8080/')).toBe('http://nas:8080/webhook');
    expect(webhookUrl('webhook', 'https://home.example/diun/')).toBe('https://home.example/diun/webhook');
  });

  it('adds the authorization placeholder only when a secret is set', () => {
    const withSecret = diunConfigYaml('http://nas:8080/webhook', true);
    expect(withSecret).toBe(
      'notif:\n  webhook:\n    endpoint: http://nas:8080/webhook\n    method: POST\n    headers:\n      content-type: application/json\n      authorization: <your secret>\n    timeout: 10s\n',
    );
    expect(diunConfigYaml('http://x/webhook', false)).not.toContain('authorization');
  });

  it('gives the same settings as environment variables', () => {
    expect(diunConfigEnv('http://nas:8080/webhook', true)).toBe(
      'DIUN_NOTIF_WEBHOOK_ENDPOINT=http://nas:8080/webhook\nDIUN_NOTIF_WEBHOOK_METHOD=POST\nDIUN_NOTIF_WEBHOOK_HEADERS_AUTHORIZATION=<your secret>\nDIUN_NOTIF_WEBHOOK_TIMEOUT=10s\n',
    );
    expect(diunConfigEnv('http://x/webhook', false)).not.toContain('AUTHORIZATION');
  });

  it('knows the addresses that only reach this machine', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '0.0.0.0', 'app.localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['nas.lan', '192.168.1.10', 'diun-dashboard', '[fd00::1]', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it("puts the typed address in place of the browser's, keeping the path", () => {
    expect(withAddress('http://127.0.0.1:8080/diun/webhook', 'nas.lan:8080')).toBe('http://nas.lan:8080/diun/webhook');
    expect(withAddress('http://127.0.0.1:8080/webhook', 'https://diun.example.com')).toBe('https://diun.example.com/webhook');
    expect(withAddress('http://127.0.0.1:8080/webhook', ' diun-dashboard:8080 ')).toBe('http://diun-dashboard:8080/webhook');
    expect(withAddress('http://127.0.0.1:8080/webhook', '')).toBeNull();
    expect(withAddress('http://127.0.0.1:8080/webhook', 'ftp://nas')).toBeNull();
    expect(withAddress('http://127.0.0.1:8080/webhook', 'not an address')).toBeNull();
  });
});
