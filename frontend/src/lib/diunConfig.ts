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
