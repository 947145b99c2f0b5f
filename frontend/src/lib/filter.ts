import type { Update } from './types';
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

/**
 * Updates that match the view. `index` maps update id to its precomputed
 * search text, so that typing stays fast with thousands of updates.
 */
export function filterUpdates(updates: readonly Update[], view: FilterCriteria, index?: Map<number, string>): Update[] {
  return updates.filter((u) => matches(u, view, index?.get(u.id)));
}

export function buildSearchIndex(updates: readonly Update[]): Map<number, string> {
  const index = new Map<number, string>();
  for (const u of updates) index.set(u.id, searchText(u));
  return index;
}

export interface Stats {
  pending: number;
  acknowledged: number;
  hosts: number;
  /** last_seen_at of the pending update that has waited the longest, or null. */
  oldestPendingAt: string | null;
}

export function computeStats(updates: readonly Update[]): Stats {
  let pending = 0;
  let oldest: number | null = null;
  let oldestIso: string | null = null;
  const hosts = new Set<string>();
  for (const u of updates) {
    hosts.add(u.hostname);
    if (isPending(u)) {
      pending++;
      const t = Date.parse(u.last_seen_at);
      if (!Number.isNaN(t) && (oldest === null || t < oldest)) {
        oldest = t;
        oldestIso = u.last_seen_at;
      }
    }
  }
  return { pending, acknowledged: updates.length - pending, hosts: hosts.size, oldestPendingAt: oldestIso };
}

/** Distinct hostnames, sorted. */
export function hostsOf(updates: readonly Update[]): string[] {
  return [...new Set(updates.map((u) => u.hostname))].sort((a, b) => a.localeCompare(b));
}
