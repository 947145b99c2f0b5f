import { describe, expect, it } from 'vitest';
import { diunConfigYaml, webhookUrl } from './diunConfig';

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
});
