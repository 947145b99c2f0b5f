// The dashboard behind a reverse proxy under a sub-path: DIUN_DASHBOARD_BASE_PATH=/diun.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { allUpdates, eventually, launchBrowser, newPage, postWebhook, sampleFiles, screenshot, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ basePath: '/diun' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the UI loads at /diun/ and its API calls stay under /diun/', async () => {
  assert.ok(server.baseUrl.endsWith('/diun/'));
  const docker = sampleFiles().find((s) => s.name === 'docker.json').body;
  await postWebhook(server.baseUrl, docker);

  const { context, page, problems, requests } = await newPage(browser);
  const res = await page.goto(server.baseUrl);
  assert.equal(res.status(), 200);
  const html = await res.text();
  assert.ok(html.includes('<base href="/diun/">'), 'server rewrote <base href>');

  const card = page.locator(`[data-testid="update-card"][data-image="${docker.image}"]`);
  await card.waitFor();
  assert.equal(await page.evaluate(() => document.baseURI), server.baseUrl);

  // Acknowledge through the UI: a write that must reach /diun/api/….
  await card.getByTestId('ack').click();
  await eventually(async () => (await allUpdates(server.baseUrl)).every((u) => u.acknowledged_at !== null), { message: 'acknowledged under the base path' });

  const own = requests.filter((u) => u.startsWith(server.origin));
  const api = own.filter((u) => u.includes('/api/'));
  assert.ok(api.length >= 3, `API calls made: ${api.join(', ')}`);
  for (const u of own) assert.ok(new URL(u).pathname.startsWith('/diun/'), `request outside the base path: ${u}`);

  // The webhook URL shown to the user carries the base path too.
  await page.getByRole('button', { name: /Connect Diun/ }).click();
  const url = await page.getByTestId('connect-dialog').getByTestId('webhook-url').textContent();
  assert.equal(url, `${server.baseUrl}webhook`);
  await screenshot(page, 'base-path-connect-light-1440');
  assert.deepEqual(
    problems.filter((p) => !p.endsWith('api/events')),
    [],
  );
  await context.close();
});
