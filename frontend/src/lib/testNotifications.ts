/**
 * Diun's test notifications are shown as "connection works", not as updates:
 * these take them out of a summary's counts (the server counts them like any
 * other update).
 */
import { matches, stateOf, type FilterCriteria } from './filter';
import { groupKey } from './grouping';
import type { Summary, Update } from './types';

/** The summary without the given test notifications, for a summary made under `filter` (its status is ignored). */
export function withoutTestNotifications(summary: Summary, tests: readonly Update[], filter: Omit<FilterCriteria, 'status'>): Summary {
  const counted = tests.filter((u) => matches(u, { ...filter, status: 'all' }));
  if (counted.length === 0) return summary;
  const totals = { pending: summary.pending, acknowledged: summary.acknowledged, snoozed: summary.snoozed ?? 0, muted: summary.muted ?? 0 };
  let tags = summary.tags;
  let hosts = summary.hosts;
  const left = (g: { pending: number; acknowledged: number; snoozed?: number; muted?: number }) => g.pending + g.acknowledged + (g.snoozed ?? 0) + (g.muted ?? 0) > 0;
  for (const u of counted) {
    const field = stateOf(u);
    totals[field]--;
    tags = tags.map((g) => (groupKey(g.tag) === groupKey(u.tag) ? { ...g, [field]: Math.max(0, (g[field] ?? 0) - 1) } : g)).filter(left);
    hosts = hosts.map((h) => (h.hostname === u.hostname ? { ...h, [field]: Math.max(0, (h[field] ?? 0) - 1) } : h)).filter(left);
  }
  const [pending, acknowledged, snoozed, muted] = [totals.pending, totals.acknowledged, totals.snoozed, totals.muted].map((n) => Math.max(0, n));
  const oldest = summary.oldest_pending && counted.some((u) => u.id === summary.oldest_pending!.id) ? null : summary.oldest_pending;
  return { ...summary, pending, acknowledged, snoozed, muted, total: pending + acknowledged + snoozed + muted, oldest_pending: oldest, tags, hosts };
}
