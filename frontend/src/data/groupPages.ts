/**
 * Pure operations on the loaded pages of the list's sections: append a page,
 * and place changed updates (from the live stream or our own mutations) where
 * they belong without reloading anything.
 */
import { isPending, matches } from '../lib/filter';
import { groupKey, type LoadedGroup } from '../lib/grouping';
import type { Summary, SummaryGroup, Update, UpdatePage } from '../lib/types';
import type { ListQuery } from './listQuery';

export type Pages = ReadonlyMap<string, LoadedGroup>;

export const NOT_LOADED: LoadedGroup = { updates: [], cursor: null, started: false, loading: false, error: null };

export function hasMore(g: LoadedGroup): boolean {
  return !g.started || g.cursor !== null;
}

/**
 * The server's order: newest `last_seen_at` first, then the higher id. Times are
 * compared as instants: their text has a varying number of fractional digits.
 */
export function compareUpdates(a: Update, b: Update): number {
  return Date.parse(b.last_seen_at) - Date.parse(a.last_seen_at) || b.id - a.id;
}

/** The group with a page appended; updates already there (put in by a live event) are not repeated. */
export function appendPage(g: LoadedGroup, page: UpdatePage): LoadedGroup {
  const have = new Set(g.updates.map((u) => u.id));
  const fresh = page.updates.filter((u) => !have.has(u.id));
  return { updates: [...g.updates, ...fresh], cursor: page.next_cursor, started: true, loading: false, error: null };
}

/** Index where `u` goes in a list in server order. */
function insertionIndex(list: readonly Update[], u: Update): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUpdates(list[mid], u) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Pages after these updates changed (`fresh`) or disappeared (`gone`): each is
 * taken out of wherever it was, and put back in its group at its place in the
 * order when it still matches the query. An update that would land after the
 * last loaded one of a group with more pages is left to those pages (its place
 * is not known yet); a group whose first page has not arrived is left alone.
 */
export function placeUpdates(
  pages: Pages,
  fresh: readonly Update[],
  gone: ReadonlySet<number>,
  query: ListQuery,
  /** Kept at its place even when it no longer matches (a row leaving the view, see DashboardStore.holdLeaving). */
  keep: (u: Update) => boolean = () => false,
  /** The section an update belongs to: its tag's, or its image's when grouped by image. */
  keyOf: (u: Update) => string = (u) => groupKey(u.tag),
): Map<string, LoadedGroup> {
  const out = new Map(pages);
  const drop = new Set(gone);
  for (const u of fresh) drop.add(u.id);
  if (drop.size > 0) {
    for (const [key, g] of out) {
      if (!g.updates.some((u) => drop.has(u.id))) continue;
      out.set(key, { ...g, updates: g.updates.filter((u) => !drop.has(u.id)) });
    }
  }
  for (const u of fresh) {
    if (gone.has(u.id) || !(matches(u, query) || keep(u))) continue;
    const key = keyOf(u);
    const g = out.get(key);
    if (!g || !g.started) continue;
    const at = insertionIndex(g.updates, u);
    if (at === g.updates.length && hasMore(g)) continue;
    const updates = [...g.updates];
    updates.splice(at, 0, u);
    out.set(key, { ...g, updates });
  }
  return out;
}

/** Loaded updates that pass `test`, by id. */
export function loadedWhere(pages: Pages, test: (u: Update) => boolean): Map<number, Update> {
  const found = new Map<number, Update>();
  for (const g of pages.values()) for (const u of g.updates) if (test(u)) found.set(u.id, u);
  return found;
}

/** Number of updates loaded over all groups. */
export function loadedCount(pages: Pages): number {
  let n = 0;
  for (const g of pages.values()) n += g.updates.length;
  return n;
}

/**
 * A stand-in summary from first pages alone, shown while the real one is on
 * its way (it costs a count over every matching update): exact for a section
 * whose first page is its last, a lower bound otherwise. Sections without a
 * page are left out until the real summary arrives.
 */
export function provisionalSummary(firstPages: ReadonlyArray<UpdatePage>, previous: Summary): Summary {
  const tags: SummaryGroup[] = [];
  let pending = 0;
  let acknowledged = 0;
  for (const page of firstPages) {
    if (page.updates.length === 0) continue;
    const p = page.updates.filter(isPending).length;
    tags.push({ tag: page.updates[0].tag, pending: p, acknowledged: page.updates.length - p });
    pending += p;
    acknowledged += page.updates.length - p;
  }
  return { pending, acknowledged, total: pending + acknowledged, oldest_pending: null, tags, hosts: previous.hosts };
}
