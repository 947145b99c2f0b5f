import type { Summary, Update, UpdateState } from './types';
import type { ViewState } from './viewState';
import { workloadNames } from './workloads';

/**
 * The update's state from its fields (not its `state` field, which an
 * optimistic change does not touch): acknowledged > muted > snoozed > pending.
 */
export function stateOf(u: Update): UpdateState {
  if (u.acknowledged_at !== null) return 'acknowledged';
  if (u.muted_by !== null && u.muted_by !== undefined) return 'muted';
  if (u.snoozed_until) return 'snoozed';
  return 'pending';
}

/** Waiting for a look: not acknowledged, not muted, not snoozed. */
export function isPending(u: Update): boolean {
  return stateOf(u) === 'pending';
}

/** Lower-cased text that free-text search looks into: image, container names, host. */
export function searchText(u: Update): string {
  return [u.image, u.hostname, ...workloadNames(u.metadata, u.provider)].join('\n').toLowerCase();
}

export type FilterCriteria = Pick<ViewState, 'status' | 'q' | 'tag' | 'host'>;

export function matches(u: Update, view: FilterCriteria, text?: string): boolean {
  if (view.status !== 'all' && stateOf(u) !== view.status) return false;
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
  snoozed: number;
  muted: number;
  hosts: number;
  /** last_seen_at of the pending update that has waited the longest, or null. */
  oldestPendingAt: string | null;
}

/** The tiles, from the unfiltered summary. */
export function statsOf(totals: Summary | null): Stats {
  if (!totals) return { pending: 0, acknowledged: 0, snoozed: 0, muted: 0, hosts: 0, oldestPendingAt: null };
  return {
    pending: totals.pending,
    acknowledged: totals.acknowledged,
    snoozed: totals.snoozed ?? 0,
    muted: totals.muted ?? 0,
    hosts: totals.hosts.length,
    oldestPendingAt: totals.oldest_pending?.last_seen_at ?? null,
  };
}
