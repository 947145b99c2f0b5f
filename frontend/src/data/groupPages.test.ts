import { describe, expect, it } from 'vitest';
import { makeUpdate } from '../lib/fixtures.test-util';
import type { LoadedGroup } from '../lib/grouping';
import { appendPage, compareUpdates, hasMore, NOT_LOADED, placeUpdates, provisionalSummary } from './groupPages';
import type { ListQuery } from './listQuery';

const media = { id: 1, name: 'media' };
const pendingView: ListQuery = { status: 'pending', q: '', tag: null, host: null, by: 'tag' };
const at = (h: number) => `2026-11-27T${String(h).padStart(2, '0')}:00:00Z`;
const ids = (g: LoadedGroup | undefined) => g?.updates.map((u) => u.id);

describe('compareUpdates', () => {
  it('orders by last_seen_at as instants, newest first, then the higher id', () => {
    const a = makeUpdate({ id: 1, last_seen_at: '2026-11-27T08:00:00Z' });
    const b = makeUpdate({ id: 2, last_seen_at: '2026-11-27T08:00:00.5Z' });
    const c = makeUpdate({ id: 3, last_seen_at: '2026-11-27T08:00:00.000Z' });
    expect([a, b, c].sort(compareUpdates).map((u) => u.id)).toEqual([2, 3, 1]);
  });
});

describe('appendPage', () => {
  it('appends, keeps the cursor of the page and does not repeat an update a live event put in', () => {
    const g1 = appendPage(NOT_LOADED, { updates: [makeUpdate({ id: 9 }), makeUpdate({ id: 8 })], next_cursor: 'p2' });
    expect(g1).toMatchObject({ started: true, cursor: 'p2', loading: false });
    expect(hasMore(g1)).toBe(true);
    const g2 = appendPage(g1, { updates: [makeUpdate({ id: 8 }), makeUpdate({ id: 7 })], next_cursor: null });
    expect(ids(g2)).toEqual([9, 8, 7]);
    expect(hasMore(g2)).toBe(false);
    expect(hasMore(NOT_LOADED)).toBe(true);
  });
});

describe('placeUpdates', () => {
  const loaded = (updates: ReturnType<typeof makeUpdate>[], cursor: string | null): LoadedGroup => ({ updates, cursor, started: true, loading: false, error: null });

  it('puts a changed update at its new place, in its (new) section', () => {
    const a = makeUpdate({ id: 1, last_seen_at: at(9) });
    const b = makeUpdate({ id: 2, last_seen_at: at(8) });
    const c = makeUpdate({ id: 3, last_seen_at: at(7), tag: media });
    const pages = new Map([
      ['untagged', loaded([a, b], 'more')],
      ['tag:1', loaded([c], null)],
    ]);
    // b is seen again (newest now) and moved to media.
    const b2 = { ...b, last_seen_at: at(10), tag: media };
    const out = placeUpdates(pages, [b2], new Set(), pendingView);
    expect(ids(out.get('untagged'))).toEqual([1]);
    expect(ids(out.get('tag:1'))).toEqual([2, 3]);
    expect(out.get('tag:1')?.updates[0]).toBe(b2);
    // The input is left alone.
    expect(ids(pages.get('untagged'))).toEqual([1, 2]);
  });

  it('drops what no longer matches the query and what is gone', () => {
    const a = makeUpdate({ id: 1, last_seen_at: at(9) });
    const b = makeUpdate({ id: 2, last_seen_at: at(8) });
    const pages = new Map([['untagged', loaded([a, b], null)]]);
    const out = placeUpdates(pages, [{ ...a, acknowledged_at: at(11) }], new Set([2]), pendingView);
    expect(ids(out.get('untagged'))).toEqual([]);
    // The same change is kept in the "all" view, in place.
    const all = placeUpdates(pages, [{ ...a, acknowledged_at: at(11) }], new Set(), { ...pendingView, status: 'all' });
    expect(ids(all.get('untagged'))).toEqual([1, 2]);
    // And a search that it does not match drops it.
    const searched = placeUpdates(pages, [{ ...a, image: 'docker.io/library/redis:7' }], new Set(), { ...pendingView, q: 'nginx' });
    expect(ids(searched.get('untagged'))).toEqual([2]);
  });

  it('leaves an update that sorts after the loaded ones to the next pages, unless the section is complete', () => {
    const a = makeUpdate({ id: 5, last_seen_at: at(9) });
    const old = makeUpdate({ id: 1, last_seen_at: at(1) });
    const partial = placeUpdates(new Map([['untagged', loaded([a], 'more')]]), [old], new Set(), pendingView);
    expect(ids(partial.get('untagged'))).toEqual([5]);
    const complete = placeUpdates(new Map([['untagged', loaded([a], null)]]), [old], new Set(), pendingView);
    expect(ids(complete.get('untagged'))).toEqual([5, 1]);
  });

  it('does not start a section whose first page has not arrived', () => {
    const u = makeUpdate({ id: 1, tag: media });
    const out = placeUpdates(new Map([['tag:1', NOT_LOADED]]), [u], new Set(), pendingView);
    expect(ids(out.get('tag:1'))).toEqual([]);
    expect(out.has('untagged')).toBe(false);
  });
});

describe('provisionalSummary', () => {
  it('counts the first pages per section, in their order, leaving out empty ones', () => {
    const previous = { pending: 9, acknowledged: 9, total: 18, oldest_pending: null, tags: [], hosts: [{ hostname: 'nas', pending: 9, acknowledged: 9 }] };
    const s = provisionalSummary(
      [
        { updates: [makeUpdate({ id: 1, tag: media }), makeUpdate({ id: 2, tag: media, acknowledged_at: at(3) })], next_cursor: null },
        { updates: [], next_cursor: null },
        { updates: [makeUpdate({ id: 3, tag: null })], next_cursor: 'more' },
      ],
      previous,
    );
    expect(s.tags).toEqual([
      { tag: media, pending: 1, acknowledged: 1 },
      { tag: null, pending: 1, acknowledged: 0 },
    ]);
    expect([s.pending, s.acknowledged, s.total]).toEqual([2, 1, 3]);
    expect(s.hosts).toBe(previous.hosts);
  });
});
