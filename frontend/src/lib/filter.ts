import type { Summary, Update } from './types';
import type { ViewState } from './viewState';
import { workloadNames } from './workloads';

export function isPending(u: Update): boolean {
  return u.acknowledged_at === null;
}

/** Lower-cased text that free-text search looks into: image, container names, host. */
export function searchText(u: Update): string {
  return [u.image, u.hostname, ...workloadNames(u.metadata, u.provider)].join('\n').toLowerCase();
}

export type FilterCriteria = Pick<ViewState, 'status' | 'q' | 'tag' | 'host'>;

export function matches(u: Update, view: FilterCriteria, text?: string): boolean {
  if (view.status === 'pending' && !isPending(u)) return false;
  if (view.status === 'acknowledged' && isPending(u)) return false;
  if (view.tag === 'none' && u.tag !== null) return false;
  if (typeof view.tag === 'number' && u.tag?.id !== view.tag) return false;
  if (view.host !== null && u.hostname !== view.host) return false;
  const terms = view.q.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length) {
    const haystack = text ?? searchText(u);
    if (!terms.every((t) => haystack.includes(t))) return false;
  }
  return true;
}

/** Updates that match the view (used to place live changes; the server filters the pages). */
export function filterUpdates(updates: readonly Update[], view: FilterCriteria): Update[] {
  return updates.filter((u) => matches(u, view));
}

export interface Stats {
  pending: number;
  acknowledged: number;
  hosts: number;
  /** last_seen_at of the pending update that has waited the longest, or null. */
  oldestPendingAt: string | null;
}

/** The tiles, from the unfiltered summary. */
export function statsOf(totals: Summary | null): Stats {
  if (!totals) return { pending: 0, acknowledged: 0, hosts: 0, oldestPendingAt: null };
  return { pending: totals.pending, acknowledged: totals.acknowledged, hosts: totals.hosts.length, oldestPendingAt: totals.oldest_pending?.last_seen_at ?? null };
}
