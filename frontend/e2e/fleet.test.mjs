// Triage for fleets (issue 12): one image across hosts, "not now" (snooze), mute rules.
// The real server and a real headless Chromium; each step checks the server's state too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seriousViolations } from './axe.mjs';
import { allUpdates, apiGet, apiSend, eventually, launchBrowser, newPage, postWebhook, sampleFiles, screenshot, startServer } from './harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
let browser;
let page;
let problems;
let requests;
/** POST bodies the page sent, by path: what the dashboard asked of the server. */
const posts = [];
let docker;

const FLEET_IMAGE = 'docker.io/library/postgres:17.2';
const FLEET_HOSTS = ['edge-01', 'nas', 'pi'];

/** A Diun notification like Diun's docker provider sends; `digest` names the image's version. */
function notification(image, hostname, digest = 'a') {
  return { ...docker, image, hostname, digest: `sha256:${digest.repeat(64).slice(0, 64)}`, metadata: { ctn_names: image.split('/').pop().split(':')[0] } };
}

const card = (image, host) => page.locator(`[data-testid="update-card"][data-image="${image}"]${host ? `[data-host="${host}"]` : ''}:not([data-leaving])`);
const imageHeader = (image) => page.locator(`[data-testid="image-header"][data-image="${image}"]`);
const byImage = async (image) => (await allUpdates(server.baseUrl)).filter((u) => u.image === image);
const states = async (image) => (await byImage(image)).map((u) => u.state).sort();
const segmentCount = async (status) => Number((await page.locator(`[data-testid="status-filter"] [data-value="${status}"] .segment-count`).textContent()).replace(/\D/g, ''));

async function assertNoSeriousViolations(view) {
  // Let opening animations finish: colours are checked as seen.
  await sleep(350);
  const found = await seriousViolations(page);
  assert.deepEqual(found, [], `axe-core on ${view}:\n${found.join('\n')}`);
}

/** Waits until the page's last change has reached the server and the repeat-click guard has passed. */
async function settle() {
  await sleep(700);
}

describe('Triage for fleets', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    ({ page, problems, requests } = await newPage(browser));
    page.on('request', (r) => r.method() === 'POST' && posts.push({ path: new URL(r.url()).pathname, body: r.postDataJSON() }));
    docker = sampleFiles().find((s) => s.name === 'docker.json').body;
    for (const host of FLEET_HOSTS) await postWebhook(server.baseUrl, notification(FLEET_IMAGE, host));
    for (const [i, image] of ['docker.io/library/redis:7.4', 'ghcr.io/acme/api:2.1', 'ghcr.io/acme/worker:2.1', 'docker.io/library/traefik:v3.2'].entries()) {
      await postWebhook(server.baseUrl, notification(image, 'nas', String(i)));
    }
    await postWebhook(server.baseUrl, notification('ghcr.io/acme/api:2.1', 'edge-01', '1'));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('grouped by image: each image once with its hosts, pending count, newest digest and first seen; the choice is in the URL', async () => {
    await page.goto(server.baseUrl);
    await page.locator('[data-testid="update-card"]').first().waitFor();
    await page.getByTestId('grouping').getByRole('radio', { name: 'Images' }).click();
    const header = imageHeader(FLEET_IMAGE);
    await header.waitFor();
    assert.match(page.url(), /[?&]group=image\b/);
    assert.equal(await header.count(), 1, 'the image shows once');
    assert.equal(await header.getByTestId('image-count').textContent(), '3 pending');
    assert.equal(await header.getByTestId('image-hosts').textContent(), `3 hosts: ${FLEET_HOSTS.join(', ')}`);
    assert.match(await header.textContent(), /newest aaaaaaaaaaaa/);
    assert.match(await header.textContent(), /first seen (just now|\d+ (s|min) ago)/);
    // Collapsed, an image costs nothing: its rows are not loaded.
    assert.equal(await card(FLEET_IMAGE).count(), 0);
    assert.ok(requests.some((u) => u.includes('/api/images?')), 'the images are paged by the server');

    const before = requests.length;
    await header.getByTestId('image-toggle').click();
    await eventually(async () => (await card(FLEET_IMAGE).count()) === 3, { message: 'its three host rows' });
    const asked = requests.slice(before).filter((u) => u.includes('/api/updates?'));
    assert.equal(asked.length, 1, asked.join('\n'));
    assert.equal(new URL(asked[0]).searchParams.get('image'), FLEET_IMAGE);
    assert.equal(await header.getByTestId('image-toggle').getAttribute('aria-expanded'), 'true');

    // A reload keeps the grouping (it is in the URL).
    await page.reload();
    await imageHeader(FLEET_IMAGE).waitFor();
    await assertNoSeriousViolations('the view grouped by image');
    await imageHeader(FLEET_IMAGE).getByTestId('image-toggle').click();
    await card(FLEET_IMAGE).first().waitFor();
    await screenshot(page, 'fleet-images-light-1440');
  });

  test('acknowledging an image acknowledges it on every host in one request; Undo brings all back', async () => {
    posts.length = 0;
    await imageHeader(FLEET_IMAGE).getByTestId('ack-image').click();
    await eventually(async () => (await states(FLEET_IMAGE)).every((s) => s === 'acknowledged'), { message: 'acknowledged on every host' });
    const acks = posts.filter((p) => p.path.endsWith('/api/updates/acknowledge'));
    assert.deepEqual(acks.map((p) => p.body), [{ image: FLEET_IMAGE }]);
    assert.equal(posts.filter((p) => p.path.includes('/api/updates')).length, 1, 'one request');
    // It leaves the pending view.
    await imageHeader(FLEET_IMAGE).waitFor({ state: 'detached' });

    const toast = page.getByTestId('toast-success').filter({ hasText: 'Acknowledged postgres:17.2 on 3 hosts' });
    await toast.getByRole('button', { name: 'Undo' }).click();
    await eventually(async () => (await states(FLEET_IMAGE)).every((s) => s === 'pending'), { message: 'pending again on every host' });
    await imageHeader(FLEET_IMAGE).waitFor();
    await eventually(async () => (await imageHeader(FLEET_IMAGE).getByTestId('image-count').textContent()) === '3 pending', { message: 'its count back' });
    await settle();
  });

  test('snooze from a row: it leaves the pending list, shows under Snoozed with its time, and a new digest brings it back at once', async () => {
    await page.getByTestId('grouping').getByRole('radio', { name: 'Tags' }).click();
    const row = card('docker.io/library/redis:7.4', 'nas');
    await row.waitFor();
    const id = Number(await row.getAttribute('data-update-id'));
    await row.getByTestId('snooze-menu').click();
    await page.getByRole('menuitem', { name: /For 1 week/ }).click();
    await row.waitFor({ state: 'detached' });
    // The row leaves at once, before the server has answered: wait for the server's state.
    await eventually(async () => (await apiGet(server.baseUrl, `api/updates/${id}`)).state === 'snoozed', {
      message: 'snoozed on the server',
    });
    const snoozed = await apiGet(server.baseUrl, `api/updates/${id}`);
    const days = (Date.parse(snoozed.snoozed_until) - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days < 7.1, `snoozed for a week (${days} days)`);
    await eventually(async () => (await segmentCount('snoozed')) === 1, { message: 'the Snoozed count' });
    assert.match(await page.getByTestId('tile-pending-sub').textContent(), /1 snoozed/);

    await page.getByTestId('status-filter').getByRole('radio', { name: /Snoozed/ }).click();
    const shown = card('docker.io/library/redis:7.4', 'nas');
    await shown.waitFor();
    assert.match(await shown.getByTestId('snoozed-until').textContent(), /until /);
    assert.match(page.url(), /[?&]status=snoozed\b/);
    await assertNoSeriousViolations('the snoozed view');
    await screenshot(page, 'fleet-snoozed-light-1440');

    // Diun reports a newer image: the snooze ends at once, the row leaves this view by itself.
    const before = requests.length;
    await postWebhook(server.baseUrl, notification('docker.io/library/redis:7.4', 'nas', 'f'));
    await shown.waitFor({ state: 'detached' });
    assert.equal((await apiGet(server.baseUrl, `api/updates/${id}`)).state, 'pending');
    // Merged in place: the update was fetched alone, no page of the list was loaded again.
    const pagesLoaded = requests.slice(before).filter((u) => /\/api\/updates\?/.test(u));
    assert.deepEqual(pagesLoaded, []);
    assert.ok(requests.slice(before).some((u) => u.endsWith(`/api/updates/${id}`)));
    await page.getByTestId('status-filter').getByRole('radio', { name: /Pending/ }).click();
    await card('docker.io/library/redis:7.4', 'nas').waitFor();
    await settle();
  });

  test('snooze until a date, then Unsnooze (and its undo)', async () => {
    const row = card('docker.io/library/traefik:v3.2', 'nas');
    const id = Number(await row.getAttribute('data-update-id'));
    // By keyboard: S on a row opens its snooze menu.
    await row.getByTestId('ack').focus();
    await page.keyboard.press('s');
    await page.getByRole('menu').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'menuitem');
    await page.getByRole('menuitem', { name: 'Until a date…' }).click();
    const dialog = page.getByTestId('snooze-dialog');
    await dialog.waitFor();
    await assertNoSeriousViolations('the snooze dialog');
    // Three days ahead, 08:30 local time.
    const when = new Date(Date.now() + 3 * 86_400_000);
    when.setHours(8, 30, 0, 0);
    const local = `${when.getFullYear()}-${String(when.getMonth() + 1).padStart(2, '0')}-${String(when.getDate()).padStart(2, '0')}T08:30`;
    await dialog.getByTestId('snooze-date').fill(local);
    await dialog.getByTestId('snooze-confirm').click();
    await dialog.waitFor({ state: 'detached' });
    await eventually(async () => (await apiGet(server.baseUrl, `api/updates/${id}`)).state === 'snoozed', { message: 'snoozed' });
    assert.equal(Date.parse((await apiGet(server.baseUrl, `api/updates/${id}`)).snoozed_until), when.getTime());

    await page.getByTestId('status-filter').getByRole('radio', { name: /Snoozed/ }).click();
    const shown = card('docker.io/library/traefik:v3.2', 'nas');
    await shown.getByTestId('unsnooze').click();
    await eventually(async () => (await apiGet(server.baseUrl, `api/updates/${id}`)).state === 'pending', { message: 'unsnoozed' });
    await shown.waitFor({ state: 'detached' });
    // U takes it back: snoozed again until the same time.
    await settle();
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('u');
    await eventually(async () => (await apiGet(server.baseUrl, `api/updates/${id}`)).state === 'snoozed', { message: 'the unsnooze undone' });
    assert.equal(Date.parse((await apiGet(server.baseUrl, `api/updates/${id}`)).snoozed_until), when.getTime());
    await card('docker.io/library/traefik:v3.2', 'nas').waitFor();
    await settle();
  });

  test("a mute rule made from an update's menu: its updates leave the list, show under Muted, and come back when it is deleted", async () => {
    await page.getByTestId('status-filter').getByRole('radio', { name: /Pending/ }).click();
    const row = card('ghcr.io/acme/api:2.1', 'nas');
    await row.waitFor();
    await row.getByTestId('more-menu').click();
    await page.getByRole('menuitem', { name: 'Mute updates like this…' }).click();
    const dialog = page.getByTestId('mute-dialog');
    await dialog.waitFor();
    const pattern = dialog.getByTestId('mute-pattern');
    // Prefilled from the update's image (any tag of its repository), editable.
    assert.equal(await pattern.inputValue(), 'ghcr.io/acme/api:*');
    assert.match(await dialog.getByTestId('mute-check').textContent(), /^Catches acme\/api:2.1 on nas/);
    await pattern.fill('ghcr.io/acme/[');
    await dialog.getByTestId('mute-error').waitFor();
    await dialog.getByRole('button', { name: 'Whole namespace' }).click();
    assert.equal(await pattern.inputValue(), 'ghcr.io/acme/**');
    await dialog.getByTestId('mute-comment').fill('Acme deploys these itself');
    await assertNoSeriousViolations('the new mute rule dialog');
    await screenshot(page, 'fleet-mute-dialog-light-1440');
    await dialog.getByTestId('mute-create').click();
    await dialog.waitFor({ state: 'detached' });

    // api on nas and edge-01, worker on nas: all three leave the pending list.
    for (const [image, host] of [['ghcr.io/acme/api:2.1', 'nas'], ['ghcr.io/acme/api:2.1', 'edge-01'], ['ghcr.io/acme/worker:2.1', 'nas']]) await card(image, host).waitFor({ state: 'detached' });
    assert.deepEqual([...(await states('ghcr.io/acme/api:2.1')), ...(await states('ghcr.io/acme/worker:2.1'))], ['muted', 'muted', 'muted']);
    await eventually(async () => (await segmentCount('muted')) === 3, { message: 'the Muted count' });
    const [rule] = await apiGet(server.baseUrl, 'api/mute-rules');
    assert.deepEqual([rule.pattern, rule.hostname, rule.status, rule.comment, rule.held], ['ghcr.io/acme/**', null, null, 'Acme deploys these itself', 3]);

    await page.getByTestId('status-filter').getByRole('radio', { name: /Muted/ }).click();
    await card('ghcr.io/acme/worker:2.1', 'nas').waitFor();
    await eventually(async () => (await card('ghcr.io/acme/worker:2.1', 'nas').getByTestId('muted-by').textContent()).includes('ghcr.io/acme/**'), { message: 'the rule named on the row' });
    await assertNoSeriousViolations('the muted view');
    await screenshot(page, 'fleet-muted-light-1440');

    // The manager lists it with what it holds; deleting it brings the updates back.
    await page.getByTestId('manage-mute-rules').click();
    const manager = page.getByTestId('mute-rules');
    const item = manager.locator('[data-testid="mute-rule"][data-pattern="ghcr.io/acme/**"]');
    await item.waitFor();
    assert.equal(await item.getByTestId('mute-held').textContent(), 'holds 3');
    await assertNoSeriousViolations('the mute rules manager');
    await screenshot(page, 'fleet-mute-rules-light-1440');
    await item.getByTestId('delete-mute-rule').click();
    await item.waitFor({ state: 'detached' });
    await eventually(async () => (await apiGet(server.baseUrl, 'api/mute-rules')).length === 0, { message: 'the rule deleted' });
    await page.keyboard.press('Escape');
    await manager.waitFor({ state: 'detached' });
    await eventually(async () => (await states('ghcr.io/acme/api:2.1')).every((s) => s === 'pending'), { message: 'unmuted' });
    await page.getByTestId('status-filter').getByRole('radio', { name: /Pending/ }).click();
    await card('ghcr.io/acme/worker:2.1', 'nas').waitFor();
  });

  test('the mute rules manager creates a rule for one host and one kind', async () => {
    await page.getByTestId('manage-mute-rules').click();
    const manager = page.getByTestId('mute-rules');
    await manager.waitFor();
    await manager.getByTestId('mute-pattern').fill('docker.io/library/*');
    await manager.getByTestId('mute-host').selectOption('nas');
    await manager.getByTestId('mute-status').selectOption('update');
    await manager.getByTestId('mute-create').click();
    const item = manager.locator('[data-testid="mute-rule"][data-pattern="docker.io/library/*"]');
    await item.waitFor();
    const [rule] = await apiGet(server.baseUrl, 'api/mute-rules');
    assert.deepEqual([rule.pattern, rule.hostname, rule.status], ['docker.io/library/*', 'nas', 'update']);
    // postgres on nas, redis and traefik (nas): muted; postgres on edge-01 and pi are other hosts.
    await eventually(async () => (await item.getByTestId('mute-held').textContent()) === `holds ${rule.held}` && rule.held >= 2, { message: 'its count' });
    assert.deepEqual(await states(FLEET_IMAGE), ['muted', 'pending', 'pending']);
    await item.getByTestId('delete-mute-rule').click();
    await item.waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await manager.waitFor({ state: 'detached' });
    await eventually(async () => (await states(FLEET_IMAGE)).every((s) => s === 'pending'), { message: 'unmuted' });
  });

  test('phone and dark: the image view passes axe-core, its targets are at least 24 px', async () => {
    for (const scheme of ['light', 'dark']) {
      const { context, page: p } = await newPage(browser, { viewport: { width: 390, height: 844 }, colorScheme: scheme, deviceScaleFactor: 2, hasTouch: true, isMobile: true });
      await p.goto(`${server.baseUrl}?group=image`);
      const header = p.locator(`[data-testid="image-header"][data-image="${FLEET_IMAGE}"]`);
      await header.getByTestId('image-toggle').click();
      await p.locator('[data-testid="update-card"]').first().waitFor();
      await sleep(350);
      const found = await seriousViolations(p);
      assert.deepEqual(found, [], `axe-core on the image view (${scheme}, phone):\n${found.join('\n')}`);
      const small = await p.evaluate(() => {
        const out = [];
        for (const el of document.querySelectorAll('[data-testid="image-header"] button, [data-testid="toolbar"] button, .toolbar button, .toolbar select')) {
          const r = el.getBoundingClientRect();
          if (r.width === 0 || r.height === 0) continue;
          if (r.width < 24 || r.height < 24) out.push(`${el.tagName.toLowerCase()}[${el.getAttribute('aria-label') ?? el.textContent.trim().slice(0, 30)}] ${Math.round(r.width)}×${Math.round(r.height)}`);
        }
        return out;
      });
      assert.deepEqual(small, [], `targets under 24 px at 390 px (${scheme})`);
      await screenshot(p, `fleet-images-${scheme}-390`);
      await context.close();
    }
  });

  test('no console errors', async () => {
    assert.deepEqual(
      problems.filter((p) => !p.endsWith('api/events')),
      [],
    );
  });
});
