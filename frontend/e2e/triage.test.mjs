// Triage at speed (issue 13): safe under fast clicks, complete by keyboard,
// clean under an accessibility audit (axe-core, serious and critical).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seriousViolations } from './axe.mjs';
import { allUpdates, apiGet, apiSend, eventually, launchBrowser, newPage, postWebhook, sampleFiles, screenshot, startServer } from './harness.mjs';

const TEST_IMAGE = 'docker.io/diun/testnotif:latest';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
let browser;
let page;
let problems;
let samples;

const cards = () => page.locator('[data-testid="update-card"]:not([data-leaving])');
const groupHeader = (name, p = page) => p.locator(`[data-testid="group-header"][data-group-name="${name}"]`);
const acknowledgedIds = async () => new Set((await allUpdates(server.baseUrl, { acknowledged: 'true' })).map((u) => u.id));
const byImage = async (image) => (await allUpdates(server.baseUrl)).find((u) => u.image === image);

/** A Diun notification for an invented image, like Diun's docker provider sends. */
function notification(image, hostname = 'nas') {
  const docker = samples.find((s) => s.name === 'docker.json').body;
  return { ...docker, image, hostname, digest: `sha256:${Buffer.from(image).toString('hex').padEnd(64, '0').slice(0, 64)}`, metadata: { ctn_names: image.split('/').pop().split(':')[0] } };
}

/** Reloads and waits until the list has rows and no row is leaving. */
async function reload(p = page) {
  await p.reload();
  await p.locator('[data-testid="update-card"]').first().waitFor();
}

async function assertNoSeriousViolations(p, view) {
  // Let opening animations (drawer, dialogs, toasts) finish: colours are checked as seen.
  await sleep(350);
  const found = await seriousViolations(p);
  assert.deepEqual(found, [], `axe-core on ${view}:\n${found.join('\n')}`);
}

describe('Triage at speed', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    ({ page, problems } = await newPage(browser));
    samples = sampleFiles();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('empty state: warns about a loopback address, takes the address Diun will use, offers YAML and environment variables', async () => {
    await page.goto(server.baseUrl);
    await page.getByTestId('empty-state').waitFor();
    // The browser came through 127.0.0.1: Diun in a container cannot use that.
    await page.getByTestId('loopback-warning').waitFor();
    await assertNoSeriousViolations(page, 'the empty state');
    await page.getByTestId('diun-address').fill('nas.lan:8080');
    assert.equal(await page.getByTestId('webhook-url').textContent(), 'http://nas.lan:8080/webhook');
    assert.ok((await page.getByTestId('diun-yaml').textContent()).includes('endpoint: http://nas.lan:8080/webhook'));
    await page.getByTestId('snippet-format').getByText('Environment variables').click();
    const env = await page.getByTestId('diun-env').textContent();
    assert.ok(env.includes('DIUN_NOTIF_WEBHOOK_ENDPOINT=http://nas.lan:8080/webhook\n'), env);
    assert.ok(env.includes('DIUN_NOTIF_WEBHOOK_METHOD=POST'), env);
    await page.getByRole('button', { name: 'Copy variables' }).waitFor();
    await screenshot(page, 'onboarding-light-1440');
    // The typed address is remembered (this browser only).
    await page.reload();
    await page.getByTestId('empty-state').waitFor();
    assert.equal(await page.getByTestId('diun-address').inputValue(), 'nas.lan:8080');
    await page.getByTestId('diun-address').fill('');
  });

  test('the connect dialog passes axe-core', async () => {
    await page.getByRole('button', { name: /Connect Diun/ }).click();
    await page.getByTestId('connect-dialog').waitFor();
    await assertNoSeriousViolations(page, 'the connect dialog');
    await page.keyboard.press('Escape');
    await page.getByTestId('connect-dialog').waitFor({ state: 'detached' });
  });

  test('Diun\'s test notification says "connection works" instead of being listed, and can be dismissed for good', async () => {
    const test = samples.find((s) => s.name === 'real-notif-test.json').body;
    const stored = await (await postWebhook(server.baseUrl, test)).json();
    const notice = page.getByTestId('test-notification');
    await notice.waitFor();
    assert.match(await notice.textContent(), /Connection works/);
    assert.ok((await notice.textContent()).includes(test.hostname));
    // Not an update: the empty state stays (nothing else arrived), no row, no count.
    assert.equal(await page.getByTestId('empty-state').count(), 1);
    assert.equal(await page.locator(`[data-testid="update-card"][data-image="${TEST_IMAGE}"]`).count(), 0);

    // Real updates arrive: the notice stays above them, the row still does not show.
    for (const s of samples) if (s.name !== 'real-notif-test.json') await postWebhook(server.baseUrl, s.body);
    await Promise.all(Array.from({ length: 40 }, (_, i) => postWebhook(server.baseUrl, notification(`docker.io/acme/service-${String(i).padStart(2, '0')}:1.${i}`, `host-${i % 6}`))));
    await reload();
    await notice.waitFor();
    assert.equal(await page.locator(`[data-testid="update-card"][data-image="${TEST_IMAGE}"]`).count(), 0);
    const summary = await apiGet(server.baseUrl, 'api/updates/summary');
    assert.equal((await page.getByTestId('tile-pending').textContent()).replace(/\D/g, ''), String(summary.pending - 1), 'the tile does not count the test');

    await notice.getByTestId('dismiss-test').click();
    await notice.waitFor({ state: 'detached' });
    await eventually(async () => (await apiSend(server.baseUrl, 'GET', `api/updates/${stored.id}`)).status === 404, { message: 'the test notification deleted' });
  });

  test('the main view, a row menu, the tag manager and a selection pass axe-core', async () => {
    await assertNoSeriousViolations(page, 'the main view (light, 1440)');
    await cards().first().getByTestId('more-menu').click();
    await page.getByRole('menu').waitFor();
    await assertNoSeriousViolations(page, 'a row menu open');
    await page.keyboard.press('Escape');
    await page.getByTestId('manage-tags').click();
    await page.getByTestId('tag-manager').waitFor();
    await assertNoSeriousViolations(page, 'the tag manager');
    await page.keyboard.press('Escape');
    await page.getByTestId('tag-manager').waitFor({ state: 'detached' });
    await cards().nth(0).getByTestId('select').click();
    await cards().nth(1).getByTestId('select').click();
    await page.getByTestId('bulk-bar').waitFor();
    await assertNoSeriousViolations(page, 'a selection with the bulk bar');
    await page.keyboard.press('Escape');
    await page.getByTestId('bulk-bar').waitFor({ state: 'detached' });
  });

  test('a double-click on Acknowledge acknowledges exactly one update', async () => {
    const before = await acknowledgedIds();
    const target = cards().nth(2);
    const id = Number(await target.getAttribute('data-update-id'));
    await target.getByTestId('ack').dblclick();
    // Past the moment the row stays in place, and past any second request.
    await sleep(1800);
    const now = await acknowledgedIds();
    const added = [...now].filter((x) => !before.has(x));
    assert.deepEqual(added, [id], `one update acknowledged, the one clicked (got ${added.join(', ')})`);
    await eventually(async () => (await page.locator(`[data-update-id="${id}"]`).count()) === 0, { message: 'the row gone after its moment' });
  });

  test('after an acknowledge, focus lands on the next row’s action and the change is announced', async () => {
    const ids = await cards().evaluateAll((els) => els.map((e) => Number(e.dataset.updateId)));
    await cards().nth(0).getByTestId('ack').focus();
    await page.keyboard.press('Enter');
    await eventually(async () => (await page.evaluate(() => document.activeElement?.closest('[data-update-id]')?.getAttribute('data-update-id'))) === String(ids[1]), {
      message: 'focus on the next row',
    });
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'ack');
    // Screen readers: the toast sits in a polite live region.
    const live = page.locator('.toaster [role="status"]');
    await eventually(async () => (await live.textContent()).includes('Acknowledged'), { message: 'announced' });
    // Keyboard triage goes on without a pause: Enter again acknowledges the next one.
    await page.keyboard.press('Enter');
    await eventually(async () => (await acknowledgedIds()).has(ids[1]), { message: 'second row acknowledged by keyboard' });
    await eventually(async () => (await page.evaluate(() => document.activeElement?.closest('[data-update-id]')?.getAttribute('data-update-id'))) === String(ids[2]), {
      message: 'focus on the row after',
    });
  });

  test('the undo shortcut restores the last change: an acknowledge (U), then a tag move (Ctrl+Z)', async () => {
    const ids = await cards().evaluateAll((els) => els.map((e) => Number(e.dataset.updateId)));
    const acked = (await acknowledgedIds()).size;
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('u');
    await eventually(async () => (await acknowledgedIds()).size === acked - 1, { message: 'one acknowledge undone' });
    await eventually(async () => (await page.getByTestId('announcer').textContent()).startsWith('Undone: Acknowledged'), { message: 'undo announced' });

    // A tag move, then its undo.
    await apiSend(server.baseUrl, 'POST', 'api/tags', { name: 'media' });
    await reload();
    const target = page.locator(`[data-update-id="${ids[0]}"]`);
    const image = await target.getAttribute('data-image');
    await target.getByTestId('tag-menu').click();
    await page.getByRole('menuitemradio', { name: 'media' }).click();
    await eventually(async () => (await byImage(image))?.tag?.name === 'media', { message: 'moved to media' });
    await page.keyboard.press('Control+z');
    await eventually(async () => (await byImage(image))?.tag === null, { message: 'tag move undone' });
  });

  test('keyboard: the toast’s Undo comes first in the tab order, B jumps to the bulk bar', async () => {
    // Past the repeat guard: the last test's last click may have been on this very spot.
    await sleep(700);
    const target = cards().nth(0);
    const id = Number(await target.getAttribute('data-update-id'));
    await target.getByTestId('ack').click();
    await eventually(async () => (await acknowledgedIds()).has(id), { message: 'acknowledged' });
    // From the top of the page: the skip link, then the newest toast's Undo.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator('.skip-link').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Undo');
    await page.keyboard.press('Enter');
    await eventually(async () => !(await acknowledgedIds()).has(id), { message: 'undone from the toast by keyboard' });
    // Its button went away with the toast: focus is in the list's landmark, not lost on <body>.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');

    await cards().nth(0).getByTestId('select').focus();
    await page.keyboard.press('Space');
    await page.getByTestId('bulk-bar').waitFor();
    await page.keyboard.press('b');
    assert.ok(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="bulk-bar"]')), 'focus in the bulk bar');
    // The bar comes before the list in the page's order (Tab from the filters reaches it).
    assert.ok(await page.evaluate(() => !!(document.querySelector('[data-testid="bulk-bar"]').compareDocumentPosition(document.querySelector('[data-testid="update-list"]')) & Node.DOCUMENT_POSITION_FOLLOWING)));
    // Esc in the search box is the search box's; outside, it clears the selection and says so.
    await page.getByTestId('search').focus();
    await page.keyboard.press('Escape');
    await page.getByTestId('bulk-bar').waitFor();
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('Escape');
    await page.getByTestId('bulk-bar').waitFor({ state: 'detached' });
    // The live region is written a moment after the bar goes (screen readers need the change).
    await eventually(async () => (await page.getByTestId('announcer').textContent()) === 'Selection cleared', {
      message: 'the announcer says the selection was cleared',
    });
  });

  test('a double-click on a group’s action acknowledges one group; a large group asks first', async () => {
    const all = await allUpdates(server.baseUrl, { acknowledged: 'false' });
    const images = all.filter((u) => u.image.includes('acme/service-')).map((u) => u.image).sort();
    const tag = async (name) => (await (await apiSend(server.baseUrl, 'POST', 'api/tags', { name })).json()).id;
    const [alpha, beta, big] = [await tag('alpha'), await tag('beta'), await tag('bulk')];
    await apiSend(server.baseUrl, 'PUT', 'api/tag-assignments', { images: images.slice(0, 2), tag_id: alpha });
    await apiSend(server.baseUrl, 'PUT', 'api/tag-assignments', { images: images.slice(2, 5), tag_id: beta });
    await apiSend(server.baseUrl, 'PUT', 'api/tag-assignments', { images: images.slice(5, 30), tag_id: big });
    await reload();
    assert.equal(await groupHeader('alpha').getByTestId('ack-group').textContent(), 'Acknowledge 2');
    await groupHeader('alpha').getByTestId('ack-group').dblclick();
    await eventually(async () => (await allUpdates(server.baseUrl, { tag: String(alpha), acknowledged: 'false' })).length === 0, { message: 'alpha acknowledged' });
    await sleep(1200);
    assert.equal((await allUpdates(server.baseUrl, { tag: String(beta), acknowledged: 'false' })).length, 3, 'beta untouched');

    const bulk = groupHeader('bulk').getByTestId('ack-group');
    assert.equal(await bulk.textContent(), 'Acknowledge 25');
    await bulk.click();
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.waitFor();
    assert.ok((await confirm.textContent()).includes('25'));
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.equal((await allUpdates(server.baseUrl, { tag: String(big), acknowledged: 'false' })).length, 25, 'nothing acknowledged without confirmation');
  });

  test('a drop while scrolled leaves no tray', async () => {
    await page.evaluate(() => window.scrollTo(0, 900));
    await sleep(200);
    // A row fully on screen.
    const sourceId = await page.evaluate(() => [...document.querySelectorAll('[data-testid="update-card"]')].find((el) => el.getBoundingClientRect().top > 120 && el.getBoundingClientRect().bottom < window.innerHeight - 120)?.dataset.updateId);
    const source = page.locator(`[data-update-id="${sourceId}"]`);
    const image = await source.getAttribute('data-image');
    const box = await source.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 20, box.y + box.height / 2 + 20, { steps: 4 });
    const tray = page.getByTestId('drag-tray');
    await tray.waitFor();
    // Scroll far while dragging: the dragged card leaves the virtual list (its dragend never comes).
    await page.evaluate(() => window.scrollBy(0, 2500));
    const target = tray.locator('[data-testid="tray-target"][data-tag-name="media"]');
    const t = await target.boundingBox();
    await page.mouse.move(t.x + t.width / 2, t.y + t.height / 2, { steps: 4 });
    await page.mouse.up();
    await eventually(async () => (await byImage(image))?.tag?.name === 'media', { message: 'dropped into media' });
    await tray.waitFor({ state: 'detached', timeout: 2000 });
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains('is-dragging')), false);
  });

  test('new arrivals are marked, with "N new" when they arrive out of view', async () => {
    const list = page.getByTestId('update-list');
    const rowsBefore = Number(await list.getAttribute('data-row-count'));
    const image = 'docker.io/library/traefik:v3.2';
    await postWebhook(server.baseUrl, notification(image, 'edge'));
    await eventually(async () => Number(await list.getAttribute('data-row-count')) > rowsBefore, {
      timeout: 15_000,
      message: 'the arrival is in the list',
    });
    // Where the arrival lands depends on its group: look from the top, then from the
    // bottom; from one of them it is out of view, and "N new" must say so. After each
    // scroll, wait until the screen has caught up (the virtual list renders on the next
    // frames, slower on a busy machine): either "N new" shows or the arrival's row is in view.
    const more = page.getByTestId('new-arrivals');
    const rowInView = () =>
      page.evaluate((img) => {
        const el = document.querySelector(`[data-testid="update-card"][data-image="${img}"]`);
        if (!el) return false;
        const r = el.getBoundingClientRect();
        return r.bottom > 0 && r.top < window.innerHeight;
      }, image);
    for (const top of [0, Number.MAX_SAFE_INTEGER]) {
      await page.evaluate((y) => window.scrollTo(0, Math.min(y, document.body.scrollHeight)), top);
      const seen = await eventually(async () => ((await more.isVisible()) ? 'more' : (await rowInView()) ? 'row' : null), {
        timeout: 5_000,
        message: 'the list caught up with the scroll',
      });
      console.log(`# new arrival, from the ${top ? 'bottom' : 'top'}: ${seen === 'more' ? '"N new" shown' : 'its row in view'}`);
      if (seen === 'more') break;
    }
    await more.waitFor({ timeout: 5_000 });
    assert.equal((await more.textContent()).trim(), '1 new');
    await more.click();
    const row = page.locator(`[data-testid="update-card"][data-image="${image}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-fresh'), 'true');
    await row.getByTestId('arrival-mark').waitFor();
    assert.ok(await row.evaluate((el) => el.contains(document.activeElement)), 'focus on the new row');
    await more.waitFor({ state: 'detached' });
  });

  test('the history drawer carries the row’s actions and shows acknowledgments on its timeline', async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await sleep(200);
    const id = Number(await cards().nth(0).getAttribute('data-update-id'));
    await page.locator(`[data-update-id="${id}"]`).getByTestId('history-btn').click();
    const drawer = page.getByTestId('history-drawer');
    await drawer.getByTestId('history-event').first().waitFor();
    await assertNoSeriousViolations(page, 'the history drawer');
    await drawer.getByTestId('drawer-ack').click();
    await drawer.getByTestId('history-acknowledged').waitFor();
    // Past the repeat guard (a second click within 600 ms is ignored on purpose).
    await sleep(700);
    await eventually(async () => (await apiGet(server.baseUrl, `api/updates/${id}`)).acknowledged_at !== null, { message: 'acknowledged from the drawer' });
    await drawer.getByTestId('drawer-unack').click();
    await drawer.getByTestId('history-unacknowledged').waitFor();
    await eventually(async () => (await apiGet(server.baseUrl, `api/updates/${id}`)).acknowledged_at === null, { message: 'pending again' });
    // The tag menu works inside the drawer (a modal: the menu opens in it).
    await drawer.getByTestId('drawer-tag-menu').click();
    await drawer.getByRole('menuitemradio', { name: 'beta' }).click();
    await eventually(async () => (await apiGet(server.baseUrl, `api/updates/${id}`)).tag?.name === 'beta', { message: 'moved to beta from the drawer' });
    await screenshot(page, 'history-actions-light-1440');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });

  test('dark theme and phone: axe-core, targets of at least 24 px, a compact header, the bulk bar covers nothing', async () => {
    const { context: dark, page: d } = await newPage(browser, { colorScheme: 'dark' });
    await d.goto(server.baseUrl);
    await d.locator('[data-testid="update-card"]').first().waitFor();
    await assertNoSeriousViolations(d, 'the main view (dark, 1440)');
    await screenshot(d, 'triage-dark-1440');
    await dark.close();

    for (const scheme of ['light', 'dark']) {
      const { context, page: p } = await newPage(browser, { viewport: { width: 390, height: 844 }, colorScheme: scheme, deviceScaleFactor: 2, hasTouch: true, isMobile: true });
      await p.goto(server.baseUrl);
      const first = p.locator('[data-testid="update-card"]').first();
      await first.waitFor();
      await assertNoSeriousViolations(p, `the main view (${scheme}, phone)`);
      const small = await p.evaluate(() => {
        const out = [];
        for (const el of document.querySelectorAll('a[href], button, input, select, textarea, summary, [role="radio"], [tabindex]:not([tabindex="-1"])')) {
          if (el.closest('.sr-only') || el.classList.contains('sr-only') || el.classList.contains('skip-link')) continue;
          // A checkbox's target is its label.
          const box = (el.matches('input[type="checkbox"]') && el.closest('label')) || el;
          const r = box.getBoundingClientRect();
          if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
          if (el.matches('main')) continue;
          if (r.width < 24 || r.height < 24) out.push(`${el.tagName.toLowerCase()}[${el.getAttribute('aria-label') ?? el.textContent.trim().slice(0, 30)}] ${Math.round(r.width)}×${Math.round(r.height)}`);
        }
        return out;
      });
      assert.deepEqual(small, [], `targets under 24 px at 390 px (${scheme})`);
      const firstTop = await first.evaluate((el) => Math.round(el.getBoundingClientRect().top));
      console.log(`# phone ${scheme}: first row at ${firstTop} px`);
      assert.ok(firstTop < 400, `the header is compact: first row at ${firstTop} px`);
      if (scheme === 'light') {
        await screenshot(p, `triage-${scheme}-390`);
        // A selection: the bar is docked and the page keeps room for it below the last row.
        await first.getByTestId('select').click();
        const bar = p.getByTestId('bulk-bar');
        await bar.waitFor();
        await assertNoSeriousViolations(p, 'a selection with the bulk bar (phone)');
        // To the very end (the virtual list measures its rows as they render: scroll until it holds still).
        await eventually(
          async () => {
            await p.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
            await sleep(150);
            return p.evaluate(() => Math.ceil(window.scrollY + window.innerHeight) >= document.documentElement.scrollHeight - 1);
          },
          { message: 'scrolled to the end' },
        );
        const { lastBottom, barTop } = await p.evaluate(() => {
          const rows = [...document.querySelectorAll('[data-testid="update-card"], [data-testid="load-more"]')];
          const last = rows.reduce((a, b) => (a.getBoundingClientRect().bottom > b.getBoundingClientRect().bottom ? a : b));
          return { lastBottom: last.getBoundingClientRect().bottom, barTop: document.querySelector('[data-testid="bulk-bar"]').getBoundingClientRect().top };
        });
        assert.ok(lastBottom <= barTop, `the last row (bottom ${lastBottom}) is above the bulk bar (top ${barTop})`);
        await screenshot(p, `triage-bulk-${scheme}-390`);
      } else {
        await screenshot(p, `triage-${scheme}-390`);
      }
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
