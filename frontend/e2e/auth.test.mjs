// The dashboard with sign-in on (HTTP Basic): the browser signs in, the UI,
// its writes and the live stream all work, and nothing gets in without it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { allUpdates, eventually, launchBrowser, newPage, postWebhook, sampleFiles, serverBinary, startServer } from './harness.mjs';

const USER = 'alice';
const PASSWORD = 'correct horse battery staple';
let server;
let browser;

before(async () => {
  // The hash comes from the binary's own subcommand, as a user would make it.
  const hash = execFileSync(serverBinary(), ['hash-password'], { input: `${PASSWORD}\n` }).toString().trim();
  server = await startServer({ env: { DIUN_DASHBOARD_AUTH_USERS: `${USER}=${hash}` }, requireUi: false });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('without credentials the page and the API ask for a password; the webhook stays open', async () => {
  const page = await fetch(server.baseUrl);
  assert.equal(page.status, 401);
  assert.match(page.headers.get('www-authenticate') ?? '', /^Basic realm=/);
  assert.equal((await fetch(new URL('api/updates', server.baseUrl))).status, 401);
  const docker = sampleFiles().find((s) => s.name === 'docker.json').body;
  await postWebhook(server.baseUrl, docker);
});

test('signed in, the dashboard shows, acknowledges and follows the live stream', async () => {
  const { context, page, problems } = await newPage(browser, { httpCredentials: { username: USER, password: PASSWORD } });
  await page.goto(server.baseUrl);
  const docker = sampleFiles().find((s) => s.name === 'docker.json').body;
  const card = (image) => page.locator(`[data-testid="update-card"][data-image="${image}"]`);
  await card(docker.image).waitFor();

  // The event stream is signed in too.
  const indicator = page.getByTestId('live-indicator');
  await eventually(async () => (await indicator.textContent()).includes('Live'), { message: 'live indicator' });
  const swarm = sampleFiles().find((s) => s.name === 'swarm.json').body;
  await postWebhook(server.baseUrl, swarm);
  await card(swarm.image).waitFor({ timeout: 15_000 });

  // A write from the page passes the cross-site check (same origin) with the browser's credentials.
  await card(docker.image).getByTestId('ack').click();
  await eventually(async () => (await card(docker.image).count()) === 0, { message: 'the card leaves the pending view' });
  const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  await eventually(
    async () => (await allUpdates(server.baseUrl, {}, { authorization: auth })).find((u) => u.image === docker.image)?.acknowledged_at,
    { message: 'acknowledged on the server' },
  );
  assert.deepEqual(problems, []);
  await context.close();
});
