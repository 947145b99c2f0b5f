/**
 * Diun's test notifications are shown as "connection works", not as updates:
 * these take them out of a summary's counts (the server counts them like any
 * other update).
 */
import { matches, type FilterCriteria } from './filter';
import { groupKey } from './grouping';
import type { Summary, Update } from './types';

/** The summary without the given test notifications, for a summary made under `filter` (its status is ignored). */
export function withoutTestNotifications(summary: Summary, tests: readonly Update[], filter: Omit<FilterCriteria, 'status'>): Summary {
  const counted = tests.filter((u) => matches(u, { ...filter, status: 'all' }));
  if (counted.length === 0) return summary;
  let pending = summary.pending;
  let acknowledged = summary.acknowledged;
  let tags = summary.tags;
  let hosts = summary.hosts;
  for (const u of counted) {
    const field = u.acknowledged_at === null ? 'pending' : 'acknowledged';
    if (field === 'pending') pending--;
    else acknowledged--;
    tags = tags.map((g) => (groupKey(g.tag) === groupKey(u.tag) ? { ...g, [field]: Math.max(0, g[field] - 1) } : g)).filter((g) => g.pending + g.acknowledged > 0);
    hosts = hosts.map((h) => (h.hostname === u.hostname ? { ...h, [field]: Math.max(0, h[field] - 1) } : h)).filter((h) => h.pending + h.acknowledged > 0);
  }
  pending = Math.max(0, pending);
  acknowledged = Math.max(0, acknowledged);
  const oldest = summary.oldest_pending && counted.some((u) => u.id === summary.oldest_pending!.id) ? null : summary.oldest_pending;
  return { pending, acknowledged, total: pending + acknowledged, oldest_pending: oldest, tags, hosts };
}
