// End-to-end: the real server binary, a real headless Chromium, a user's day.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allUpdates, apiGet, apiSend, eventually, launchBrowser, newPage, postSamples, postWebhook, sampleFiles, screenshot, startServer } from './harness.mjs';

const XSS_SCRIPT = '<script>alert(1)</script>';
const XSS_IMG = '"><img src=x onerror=window.__xss=1>';

let server;
let browser;
let page;
let problems;
let requests;
let samples;

const cards = () => page.getByTestId('update-card');
const card = (image, host) => page.locator(`[data-testid="update-card"][data-image="${image}"]${host ? `[data-host="${host}"]` : ''}`);
const groupHeader = (name) => page.locator(`[data-testid="group-header"][data-group-name="${name}"]`);

async function findUpdate(image, host) {
  const all = await allUpdates(server.baseUrl);
  return all.find((u) => u.image === image && (!host || u.hostname === host));
}

async function cardCount() {
  return cards().count();
}

describe('Diun Dashboard', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    ({ page, problems, requests } = await newPage(browser));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('empty state shows the webhook URL and a ready-to-paste Diun config', async () => {
    await page.goto(server.baseUrl);
    const empty = page.getByTestId('empty-state');
    await empty.waitFor();
    const expectedUrl = new URL('webhook', server.baseUrl).href;
    assert.equal(await page.getByTestId('webhook-url').textContent(), expectedUrl);
    const yaml = await page.getByTestId('diun-yaml').textContent();
    assert.match(yaml, /^notif:\n {2}webhook:\n {4}endpoint: /);
    assert.ok(yaml.includes(`endpoint: ${expectedUrl}`), yaml);
    assert.ok(yaml.includes('method: POST'));
    assert.ok(yaml.includes('content-type: application/json'));
    assert.ok(yaml.includes('timeout: 10s'));
    const info = await apiGet(server.baseUrl, 'api/info');
    assert.equal(yaml.includes('authorization: <your secret>'), info.webhook_secret_set === true);
    assert.ok((await empty.textContent()).includes('watch.firstCheckNotif: true'));
    await page.getByRole('button', { name: 'Copy YAML' }).waitFor();
    await screenshot(page, 'empty-light-1440');
  });

  test('notifications appear without a reload, one card per host and image', async () => {
    samples = await postSamples(server.baseUrl);
    // Diun's test notification is not an update: it shows as "connection works" (see triage.test.mjs).
    const unique = new Set(samples.filter((s) => s.body.image !== 'docker.io/diun/testnotif:latest').map((s) => `${s.body.hostname}\u0000${s.body.image}`));
    // Window focus triggers a refetch (the live stream may do it first).
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await eventually(async () => (await cardCount()) === unique.size, { message: `${unique.size} cards` });

    const hosts = new Set(samples.map((s) => s.body.hostname));
    assert.equal((await page.getByTestId('tile-pending').textContent()).replace(/\D/g, ''), String(unique.size));
    assert.equal((await page.getByTestId('tile-hosts').textContent()).replace(/\D/g, ''), String(hosts.size));
    assert.equal((await page.getByTestId('tile-acknowledged').textContent()).replace(/\D/g, ''), '0');
    assert.match(await page.getByTestId('tile-oldest').textContent(), /\d+ (s|min|h|d|mo|y)$/);
  });

  test('a card shows registry, repository, tag, host, containers, digest and link', async () => {
    const nginx = card('docker.io/library/nginx:1.27', 'nas');
    assert.equal(await nginx.getByTestId('repository').textContent(), 'nginx');
    assert.equal(await nginx.getByTestId('image-tag').textContent(), '1.27');
    assert.equal(await nginx.getByTestId('registry').textContent(), 'Docker Hub');
    assert.ok((await nginx.getByTestId('host').textContent()).includes('nas'));
    assert.ok((await nginx.getByTestId('workloads').textContent()).includes('web, web-proxy'));
    assert.equal(await nginx.getByTestId('digest').textContent(), 'a1a1a1a1a1a1');
    assert.equal(await nginx.getByTestId('status-badge').textContent(), 'update');
    const link = nginx.getByTestId('hub-link');
    assert.equal(await link.getAttribute('href'), 'https://hub.docker.com/_/nginx');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await link.getAttribute('target'), '_blank');
    const received = nginx.getByTestId('received');
    assert.match(await received.textContent(), /just now|ago/);
    assert.match(await received.getAttribute('title'), /Received .*\d{4}-\d{2}-\d{2}T/);

    const prom = card('quay.io/prometheus/prometheus:v3.1.0');
    assert.equal(await prom.getByTestId('registry').textContent(), 'quay.io');
    assert.equal(await prom.getByTestId('repository').textContent(), 'prometheus/prometheus');
    assert.ok((await prom.getByTestId('workloads').textContent()).includes('monitoring/prometheus-0'));

    const local = card('127.0.0.1:5000/test/app:latest');
    assert.equal(await local.getByTestId('registry').textContent(), '127.0.0.1:5000');
    assert.equal(await local.getByTestId('image-tag').textContent(), 'latest');
    const newTag = card('127.0.0.1:5000/test/multi:1.2.0');
    assert.equal(await newTag.getByTestId('status-badge').textContent(), 'new');
    // Diun's test notification is no card.
    assert.equal(await card('docker.io/diun/testnotif:latest').count(), 0);
    await page.getByTestId('test-notification').waitFor();
    assert.ok((await card('docker.io/grafana/grafana:11.3.0').getByTestId('workloads').textContent()).includes('grafana'));
    assert.ok((await card('ghcr.io/home-assistant/home-assistant:2026.11').getByTestId('workloads').textContent()).includes('homeassistant_app'));
  });

  test('search covers image, container names and host, and lives in the URL', async () => {
    const search = page.getByTestId('search');
    await search.fill('web-proxy');
    await eventually(async () => (await cardCount()) === 1, { message: 'one card for web-proxy' });
    assert.equal(await cards().first().getAttribute('data-image'), 'docker.io/library/nginx:1.27');
    await eventually(async () => new URL(page.url()).searchParams.get('q') === 'web-proxy', { message: 'q in URL' });

    await search.fill('edge-01');
    await eventually(async () => (await cardCount()) === 1 && (await cards().first().getAttribute('data-image')) === 'docker.io/library/redis:7.4', { message: 'redis by host' });

    // The view survives a reload (bookmarkable).
    await page.reload();
    await eventually(async () => (await cardCount()) === 1, { message: 'filtered after reload' });
    assert.equal(await page.getByTestId('search').inputValue(), 'edge-01');

    await page.getByTestId('host-filter').selectOption('vm');
    await page.getByTestId('search').fill('');
    await eventually(async () => (await cardCount()) === 2, { message: 'two cards on host vm' });
    assert.equal(new URL(page.url()).searchParams.get('host'), 'vm');
    await page.getByTestId('host-filter').selectOption('');
    await eventually(async () => (await cardCount()) === 7, { message: 'all cards again' });
  });

  test('tags: create one in the tag manager', async () => {
    await page.getByTestId('manage-tags').click();
    const dialog = page.getByTestId('tag-manager');
    await dialog.waitFor();
    await page.getByTestId('new-tag-input').fill('  media ');
    await page.getByTestId('create-tag').click();
    await dialog.locator('[data-testid="tag-item"][data-tag-name="media"]').waitFor();
    const tags = await apiGet(server.baseUrl, 'api/tags');
    assert.deepEqual(
      tags.map((t) => t.name),
      ['media'],
    );
    // Escape closes the dialog.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('tags: assign an image with the keyboard-accessible menu', async () => {
    const nginx = card('docker.io/library/nginx:1.27', 'nas');
    await nginx.getByTestId('tag-menu').click();
    await page.getByRole('menuitemradio', { name: 'media' }).click();
    await eventually(async () => (await findUpdate('docker.io/library/nginx:1.27'))?.tag?.name === 'media', { message: 'nginx tagged media on the server' });
    await groupHeader('media').waitFor();
    // The card now sits right under the media header.
    const firstGroup = await page.getByTestId('group-header').first().getAttribute('data-group-name');
    assert.equal(firstGroup, 'media');

    // Keyboard only: open the menu with ArrowDown, jump to "New tag…" with End, create "infra".
    const grafana = card('docker.io/grafana/grafana:11.3.0');
    await grafana.getByTestId('tag-menu').focus();
    await page.keyboard.press('ArrowDown');
    await page.getByRole('menu').waitFor();
    await page.keyboard.press('End');
    const focused = await page.evaluate(() => document.activeElement?.textContent);
    assert.equal(focused, 'New tag…');
    await page.keyboard.press('Enter');
    const prompt = page.getByTestId('prompt-dialog');
    await prompt.waitFor();
    await page.keyboard.type('infra');
    await page.keyboard.press('Enter');
    await eventually(async () => (await findUpdate('docker.io/grafana/grafana:11.3.0'))?.tag?.name === 'infra', { message: 'grafana tagged infra' });
    await groupHeader('infra').waitFor();
  });

  test('tags: assign an image by dragging its card onto a group header', async () => {
    const redis = card('docker.io/library/redis:7.4');
    await redis.dragTo(groupHeader('media').getByTestId('group-toggle'));
    await eventually(async () => (await findUpdate('docker.io/library/redis:7.4'))?.tag?.name === 'media', { message: 'redis tagged media by drag and drop' });
    await eventually(async () => (await groupHeader('media').locator('.group-count').textContent()) === '2', { message: 'media group counts 2' });
    // Dropping onto Untagged removes the tag.
    await card('docker.io/grafana/grafana:11.3.0').dragTo(groupHeader('Untagged').getByTestId('group-toggle'));
    await eventually(async () => (await findUpdate('docker.io/grafana/grafana:11.3.0'))?.tag === null, { message: 'grafana untagged by drag and drop' });
    // And the menu can remove a tag too.
    await card('docker.io/library/redis:7.4').getByTestId('tag-menu').click();
    await page.getByRole('menuitem', { name: 'Remove tag' }).click();
    await eventually(async () => (await findUpdate('docker.io/library/redis:7.4'))?.tag === null, { message: 'redis untagged by menu' });
    await card('docker.io/library/redis:7.4').getByTestId('tag-menu').click();
    await page.getByRole('menuitemradio', { name: 'media' }).click();
    await eventually(async () => (await findUpdate('docker.io/library/redis:7.4'))?.tag?.name === 'media', { message: 'redis back in media' });
  });

  test('acknowledge one update, then undo from the toast', async () => {
    const image = 'ghcr.io/home-assistant/home-assistant:2026.11';
    await card(image).getByTestId('ack').click();
    await eventually(async () => (await card(image).count()) === 0, { message: 'card leaves the pending view' });
    await eventually(async () => (await findUpdate(image))?.acknowledged_at !== null, { message: 'acknowledged on the server' });
    const toast = page.getByTestId('toast-success').filter({ hasText: 'Acknowledged' });
    await toast.getByRole('button', { name: 'Undo' }).click();
    await eventually(async () => (await findUpdate(image))?.acknowledged_at === null, { message: 'pending again on the server' });
    await card(image).waitFor();
  });

  test('select a range with shift-click and acknowledge it from the bulk bar', async () => {
    await page.getByTestId('host-filter').selectOption('vm');
    await eventually(async () => (await cardCount()) === 2, { message: 'two cards on host vm' });
    const ids = await cards().evaluateAll((els) => els.map((e) => Number(e.dataset.updateId)));
    await cards().nth(0).getByTestId('select').click();
    await cards().nth(1).getByTestId('select').click({ modifiers: ['Shift'] });
    const bar = page.getByTestId('bulk-bar');
    await bar.waitFor();
    assert.ok((await bar.textContent()).includes('2 selected'), await bar.textContent());
    await page.getByTestId('bulk-ack').click();
    await eventually(async () => (await cardCount()) === 0, { message: 'two cards acknowledged' });
    // The cards leave at once (optimistic); the server's answer may follow a moment later.
    const ackedOnServer = async () => {
      const all = await allUpdates(server.baseUrl);
      return all.filter((u) => u.acknowledged_at !== null).map((u) => u.id).sort();
    };
    await eventually(async () => JSON.stringify(await ackedOnServer()) === JSON.stringify([...ids].sort()), {
      message: 'the two acknowledged on the server',
    });
    assert.deepEqual(await ackedOnServer(), [...ids].sort());
    await bar.waitFor({ state: 'detached' });
    await page.getByTestId('host-filter').selectOption('');
    await eventually(async () => (await cardCount()) === 5, { message: 'five pending left' });
  });

  test('acknowledge a whole group from its header', async () => {
    await groupHeader('media').getByTestId('ack-group').click();
    await eventually(async () => (await groupHeader('media').count()) === 0, { message: 'media group gone from pending' });
    await eventually(
      async () => (await allUpdates(server.baseUrl)).filter((x) => x.tag?.name === 'media').every((u) => u.acknowledged_at !== null),
      { message: 'every media update acknowledged on the server' },
    );
  });

  test('the acknowledged view lists them and each can be un-acknowledged', async () => {
    await page.getByTestId('status-filter').getByRole('radio', { name: /Acknowledged/ }).click();
    assert.equal(new URL(page.url()).searchParams.get('status'), 'acknowledged');
    const nginx = card('docker.io/library/nginx:1.27', 'nas');
    await nginx.waitFor();
    await nginx.getByTestId('unack').click();
    await eventually(async () => (await findUpdate('docker.io/library/nginx:1.27'))?.acknowledged_at === null, { message: 'nginx pending again' });
    await eventually(async () => (await nginx.count()) === 0, { message: 'nginx leaves the acknowledged view' });
    await page.getByTestId('status-filter').getByRole('radio', { name: /Pending/ }).click();
    await nginx.waitFor();
  });

  test('history drawer shows the timeline of notifications', async () => {
    const docker = samples.find((s) => s.name === 'docker.json').body;
    await postWebhook(server.baseUrl, { ...docker, digest: `sha256:${'f'.repeat(64)}` });
    const u = await findUpdate(docker.image, docker.hostname);
    assert.equal(u.event_count, 2, 'second notification recorded');
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await card(docker.image, docker.hostname).getByTestId('history-btn').click();
    const drawer = page.getByTestId('history-drawer');
    await drawer.waitFor();
    assert.equal(new URL(page.url()).searchParams.get('history'), String(u.id));
    await eventually(async () => (await drawer.getByTestId('history-event').count()) === 2, { message: 'two events' });
    const first = await drawer.getByTestId('history-event').first().textContent();
    assert.ok(first.includes('ffffffffffff'), `newest first: ${first}`);
    assert.ok(first.includes('4.33.0'));
    const second = await drawer.getByTestId('history-event').nth(1).textContent();
    assert.ok(second.includes('a1a1a1a1a1a1'));
    assert.ok((await drawer.textContent()).includes('web-proxy'), 'metadata shown');
    await screenshot(page, 'history-light-1440');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    assert.equal(new URL(page.url()).searchParams.get('history'), null);
  });

  test('webhook text is rendered inert', async () => {
    const image = `docker.io/evil/app${XSS_SCRIPT}:1${XSS_IMG}`;
    await postWebhook(server.baseUrl, {
      diun_version: '4.33.0',
      hostname: `host${XSS_IMG}`,
      status: 'new',
      provider: 'docker',
      image,
      hub_link: 'javascript:window.__xss=2',
      mime_type: 'application/vnd.oci.image.index.v1+json',
      digest: `sha256:${'e'.repeat(64)}`,
      created: null,
      platform: 'linux/amd64',
      metadata: { ctn_names: `${XSS_SCRIPT},${XSS_IMG}`, note: XSS_IMG },
    });
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    const evil = page.locator('[data-testid="update-card"]').filter({ hasText: XSS_SCRIPT });
    await evil.first().waitFor();
    const text = await evil.first().textContent();
    assert.ok(text.includes(XSS_SCRIPT), 'script tag shown as text');
    assert.ok(text.includes(XSS_IMG), 'img tag shown as text');
    await evil.first().getByTestId('history-btn').click();
    const drawer = page.getByTestId('history-drawer');
    await drawer.waitFor();
    await drawer.getByTestId('history-event').first().waitFor();
    const injected = await page.evaluate(() => ({
      xss: window.__xss,
      imgs: document.querySelectorAll('img').length,
      inlineScripts: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
      jsLinks: [...document.querySelectorAll('a[href]')].filter((a) => a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')).length,
    }));
    assert.deepEqual(injected, { xss: undefined, imgs: 0, inlineScripts: 0, jsLinks: 0 });
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });

  test('delete asks for confirmation', async () => {
    const image = 'docker.io/library/redis:7.4';
    const u = await findUpdate(image);
    await page.getByTestId('status-filter').getByRole('radio', { name: /All/ }).click();
    await card(image).getByTestId('more-menu').click();
    await page.getByRole('menuitem', { name: 'Delete…' }).click();
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.waitFor();
    // Cancel keeps it.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.ok(await findUpdate(image));
    await card(image).getByTestId('more-menu').click();
    await page.getByRole('menuitem', { name: 'Delete…' }).click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await eventually(async () => (await card(image).count()) === 0, { message: 'card removed' });
    // The card goes at once (optimistic): the server's answer may come a moment later.
    await eventually(async () => (await apiSend(server.baseUrl, 'GET', `api/updates/${u.id}`)).status === 404, { message: 'deleted on the server' });
    await page.getByTestId('status-filter').getByRole('radio', { name: /Pending/ }).click();
  });

  test("a failed action shows the server's message and the screen catches up", async () => {
    const image = 'docker.io/grafana/grafana:11.3.0';
    // A separate page without the live stream, so the UI cannot learn of the deletion before the click.
    const { context, page: p } = await newPage(browser);
    await p.route('**/api/events', (route) => route.abort());
    await p.goto(server.baseUrl);
    const target = p.locator(`[data-testid="update-card"][data-image="${image}"]`);
    await target.waitFor();
    const u = await findUpdate(image);
    const del = await apiSend(server.baseUrl, 'DELETE', `api/updates/${u.id}`);
    assert.equal(del.status, 204);
    const body = await (await apiSend(server.baseUrl, 'PATCH', `api/updates/${u.id}`, { acknowledged: true })).json();
    assert.equal(typeof body.message, 'string');
    assert.equal(typeof body.error, 'string');
    await target.getByTestId('ack').click();
    const toast = p.getByTestId('toast-error');
    await toast.waitFor();
    assert.ok((await toast.textContent()).includes(body.message), `toast shows "${body.message}"`);
    await eventually(async () => (await target.count()) === 0, { message: 'stale card removed after refetch' });
    await context.close();
  });

  test('tags: rename and delete (the confirmation says how many images lose it)', async () => {
    await page.getByTestId('manage-tags').click();
    const dialog = page.getByTestId('tag-manager');
    await dialog.waitFor();
    const media = dialog.locator('[data-testid="tag-item"][data-tag-name="media"]');
    await media.getByTestId('rename-tag').click();
    const prompt = page.getByTestId('prompt-dialog');
    await prompt.waitFor();
    await prompt.locator('input').fill('Media apps');
    await prompt.locator('input').press('Enter');
    await dialog.locator('[data-testid="tag-item"][data-tag-name="Media apps"]').waitFor();
    // The list shows the new name at once (optimistic); the server's answer may follow a moment later.
    await eventually(async () => (await apiGet(server.baseUrl, 'api/tags')).some((t) => t.name === 'Media apps'), {
      message: 'renamed on the server',
    });
    const tags = await apiGet(server.baseUrl, 'api/tags');
    const renamed = tags.find((t) => t.name === 'Media apps');

    const infra = dialog.locator('[data-testid="tag-item"][data-tag-name="infra"]');
    await infra.getByTestId('delete-tag').click();
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.waitFor();
    const infraCount = tags.find((t) => t.name === 'infra').image_count;
    assert.ok((await confirm.textContent()).includes(infraCount === 0 ? 'No image' : `${infraCount} image`));
    await confirm.getByRole('button', { name: 'Delete tag' }).click();
    await infra.waitFor({ state: 'detached' });
    await eventually(async () => JSON.stringify((await apiGet(server.baseUrl, 'api/tags')).map((t) => t.name)) === '["Media apps"]', {
      message: 'only "Media apps" left on the server',
    });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('a new notification appears by itself, pushed by the live stream', async () => {
    const indicator = page.getByTestId('live-indicator');
    await eventually(async () => (await indicator.textContent()).includes('Live'), { message: 'live indicator' });

    // Let the refetches that earlier steps caused die down (1 s without a request), then
    // watch what the event makes the page ask for.
    let lastRequest = Date.now();
    const asked = [];
    const onRequest = (req) => {
      lastRequest = Date.now();
      asked.push(new URL(req.url()).pathname);
    };
    page.on('request', onRequest);
    await eventually(async () => Date.now() - lastRequest > 1_000, { message: 'a quiet page', interval: 100 });
    asked.length = 0;
    const image = 'docker.io/library/traefik:v3.2';
    const t0 = Date.now();
    const stored = await (await postWebhook(server.baseUrl, { ...samples.find((s) => s.name === 'docker.json').body, image, metadata: { ctn_names: 'proxy' } })).json();
    await card(image).waitFor({ timeout: 40_000 });
    const ms = Date.now() - t0;
    page.off('request', onRequest);
    // The event names the update: only that one is fetched, not the whole list.
    assert.ok(asked.some((p) => p.endsWith(`/api/updates/${stored.id}`)), asked.join(', '));
    assert.ok(!asked.some((p) => p.endsWith('/api/updates')), `no full reload: ${asked.join(', ')}`);
    console.log(`# live stream: new card after ${ms} ms`);
    // Not a speed check: the fallback polls every 30 s, so anything far below
    // that proves the card came through the stream.
    assert.ok(ms < 15_000, `the card came through the stream, not the 30 s poll (${ms} ms)`);
  });

  test('screenshots: light and dark, desktop and phone', async () => {
    // Bring back some state worth looking at.
    for (const u of await allUpdates(server.baseUrl)) if (u.image.includes('<script>')) await apiSend(server.baseUrl, 'DELETE', `api/updates/${u.id}`);
    await apiSend(server.baseUrl, 'POST', 'api/updates/acknowledge', { all: true });
    for (const s of samples) await postWebhook(server.baseUrl, { ...s.body, digest: `sha256:${'9'.repeat(64)}` });
    const all = await allUpdates(server.baseUrl);
    await Promise.all(all.filter((u) => u.acknowledged_at !== null).map((u) => apiSend(server.baseUrl, 'PATCH', `api/updates/${u.id}`, { acknowledged: false })));
    await apiSend(server.baseUrl, 'POST', 'api/updates/acknowledge', { ids: [all.find((u) => u.image.includes('nginx'))?.id ?? all[0].id] });
    // A long reference and long container names must wrap, not overflow, on a phone.
    await postWebhook(server.baseUrl, {
      ...samples.find((s) => s.name === 'docker.json').body,
      hostname: 'very-long-hostname-of-a-home-server.lan',
      image: 'registry.internal-hostname.example.com:5000/some-organisation/a-really-long-repository-name-for-testing/nested:2026.11.27-build.12345-abcdef',
      metadata: { ctn_names: 'a-container-with-a-rather-long-name-1,a-container-with-a-rather-long-name-2' },
    });
    for (const scheme of ['light', 'dark']) {
      for (const [w, h] of [
        [1440, 900],
        [390, 844],
        [360, 740],
      ]) {
        const { context, page: p, problems: pageProblems } = await newPage(browser, { viewport: { width: w, height: h }, colorScheme: scheme, deviceScaleFactor: w < 500 ? 2 : 1 });
        await p.goto(server.baseUrl);
        await p.getByTestId('update-card').first().waitFor();
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no horizontal overflow at ${w}px (${overflow}px)`);
        assert.equal(await p.evaluate(() => document.documentElement.dataset.theme), scheme);
        if (w !== 360) await screenshot(p, `dashboard-${scheme}-${w}`);
        assert.deepEqual(pageProblems.filter((x) => !x.endsWith('api/events')), []);
        await context.close();
      }
    }
  });

  test('no console errors, and every API call stayed relative to the base', async () => {
    assert.deepEqual(
      problems.filter((p) => !p.endsWith('api/events')),
      [],
    );
    for (const url of requests) assert.ok(url.startsWith(server.origin) || url.startsWith('data:'), url);
  });
});
