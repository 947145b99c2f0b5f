// The dashboard never loads the whole table: pages as you scroll, the server
// searches, and "acknowledge all" of a section covers the pages not loaded yet.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { allUpdates, apiSend, eventually, launchBrowser, newPage, postWebhook, startServer } from './harness.mjs';

const COUNT = 340; // four pages of 100 in one section
let server;
let browser;

const body = (i) => ({
  diun_version: '4.33.0',
  hostname: i % 2 ? 'nas' : 'edge-01',
  status: 'update',
  provider: 'docker',
  image: `registry.example.com/paging/app-${i}:1.0`,
  hub_link: '',
  mime_type: 'application/vnd.oci.image.index.v1+json',
  digest: `sha256:${i.toString(16).padStart(64, '0')}`,
  created: null,
  platform: 'linux/amd64',
  metadata: { ctn_names: `paging-${i}` },
});

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // One at a time: each notification is newer than the one before, so the order is known.
  for (let i = 0; i < COUNT; i++) await postWebhook(server.baseUrl, body(i));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** GET api/updates requests the page made (pathname exactly), with their parameters. */
const pageRequests = (requests) =>
  requests
    .map((u) => new URL(u))
    // Pages of the list; not the one small lookup of Diun's test notifications (shown apart as "connection works").
    .filter((u) => u.pathname.endsWith('/api/updates') && u.searchParams.get('q') !== 'diun/testnotif');

test('scrolling loads the next pages: an update on page 3 shows up', async () => {
  const { context, page, problems, requests } = await newPage(browser);
  const order = await allUpdates(server.baseUrl, { acknowledged: 'false' });
  assert.equal(order.length, COUNT);
  const onPage3 = order[250];
  await page.goto(server.baseUrl);
  await page.getByTestId('update-card').first().waitFor();
  assert.equal(await page.getByTestId('update-card').first().getAttribute('data-image'), order[0].image);
  // Only the first page is there: the list holds the header, 100 cards and the "more" row.
  assert.equal(await page.getByTestId('update-list').getAttribute('data-row-count'), '102');
  assert.equal(pageRequests(requests).length, 1, pageRequests(requests).join('\n'));

  const target = page.locator(`[data-testid="update-card"][data-image="${onPage3.image}"]`);
  // Scroll down like a reader (a screen at a time) until it comes by.
  await eventually(
    async () => {
      if ((await target.count()) === 1) return true;
      await page.evaluate(() => window.scrollBy(0, window.innerHeight));
      return false;
    },
    { message: `${onPage3.image} (page 3) rendered`, timeout: 20_000 },
  );
  const cursors = pageRequests(requests).filter((u) => u.searchParams.get('cursor'));
  assert.ok(cursors.length >= 2, `next pages asked with a cursor: ${cursors.length}`);
  for (const u of pageRequests(requests)) assert.ok(u.searchParams.get('limit'), `every page request has a limit: ${u}`);
  assert.ok((await page.getByTestId('update-card').count()) < 80, 'still virtualised');
  assert.deepEqual(problems.filter((p) => !p.endsWith('api/events')), []);
  await context.close();
});

test('search asks the server (debounced), and no request lacks a limit', async () => {
  const { context, page, problems, requests } = await newPage(browser);
  await page.goto(server.baseUrl);
  await page.getByTestId('update-card').first().waitFor();
  // Far down the list: not loaded before the search.
  await page.getByTestId('search').pressSequentially('app-17: nas', { delay: 30 });
  await eventually(async () => (await page.getByTestId('update-card').count()) === 1, { message: 'one match' });
  assert.equal(await page.getByTestId('update-card').first().getAttribute('data-image'), body(17).image);
  const searched = pageRequests(requests).filter((u) => u.searchParams.get('q'));
  assert.ok(searched.some((u) => u.searchParams.get('q') === 'app-17: nas'), searched.join('\n'));
  // Typing 13 characters did not send 13 searches.
  assert.ok(searched.length < 6, `debounced: ${searched.length} searches`);
  assert.ok(requests.some((u) => u.includes('/api/updates/summary?') && new URL(u).searchParams.get('q') === 'app-17: nas'), 'the counts come from a filtered summary');
  for (const u of pageRequests(requests)) assert.ok(u.searchParams.get('limit'), `request without limit: ${u}`);
  assert.equal((await page.getByTestId('status-filter').textContent()).replace(/\s+/g, ' ').includes('Pending1'), true);
  assert.deepEqual(problems.filter((p) => !p.endsWith('api/events')), []);
  await context.close();
});

test('"acknowledge all" of a section acknowledges every match across pages, and undo restores them', async () => {
  // 250 images on host nas in one tag ("batch"), put there with one bulk request.
  const tag = await (await apiSend(server.baseUrl, 'POST', 'api/tags', { name: 'batch' })).json();
  const nas = (await allUpdates(server.baseUrl, { host: 'nas' })).map((u) => u.image);
  const edge = (await allUpdates(server.baseUrl, { host: 'edge-01' })).map((u) => u.image);
  const images = [...nas.slice(0, 150), ...edge.slice(0, 100)];
  const put = await apiSend(server.baseUrl, 'PUT', 'api/tag-assignments', { images, tag_id: tag.id });
  assert.equal(put.status, 200);
  const inTag = await allUpdates(server.baseUrl, { tag: String(tag.id) });
  assert.equal(inTag.length, 250);

  const { context, page, problems } = await newPage(browser);
  // Under a host filter: only the 150 of nas are acknowledged.
  await page.goto(`${server.baseUrl}?host=nas`);
  const header = page.locator('[data-testid="group-header"][data-group-name="batch"]');
  await header.waitFor();
  assert.equal(await header.locator('.group-count').textContent(), '150');
  assert.equal((await header.getByTestId('ack-group').textContent()).trim(), 'Acknowledge 150');
  await header.getByTestId('ack-group').click();
  // Over the confirmation threshold: it asks first.
  await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Acknowledge 150' }).click();
  await eventually(async () => (await allUpdates(server.baseUrl, { tag: String(tag.id), host: 'nas', acknowledged: 'false' })).length === 0, {
    message: 'all 150 of batch on nas acknowledged',
  });
  assert.equal((await allUpdates(server.baseUrl, { tag: String(tag.id), host: 'nas', acknowledged: 'true' })).length, 150);
  assert.equal((await allUpdates(server.baseUrl, { tag: String(tag.id), host: 'edge-01', acknowledged: 'false' })).length, 100, 'the other host is left alone');
  await header.waitFor({ state: 'detached' });

  const toast = page.getByTestId('toast-success').filter({ hasText: 'Acknowledged 150 updates in batch' });
  await toast.getByRole('button', { name: 'Undo' }).click();
  await eventually(async () => (await allUpdates(server.baseUrl, { tag: String(tag.id), acknowledged: 'false' })).length === 250, { message: 'all 250 pending again' });
  await header.waitFor();
  assert.equal(await header.locator('.group-count').textContent(), '150');
  assert.deepEqual(problems.filter((p) => !p.endsWith('api/events')), []);
  await context.close();
});
