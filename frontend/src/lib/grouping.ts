import type { TagRef, Update } from './types';

export const UNTAGGED_KEY = 'untagged';

export interface Group {
  /** `tag:<id>` or `untagged`. */
  key: string;
  tag: TagRef | null;
  updates: Update[];
  pendingCount: number;
}

export function groupKey(tag: TagRef | null): string {
  return tag ? `tag:${tag.id}` : UNTAGGED_KEY;
}

/**
 * One group per tag (sorted by name, case-insensitive), "Untagged" last.
 * Keeps the input order of updates inside each group.
 */
export function groupByTag(updates: readonly Update[]): Group[] {
  const groups = new Map<string, Group>();
  for (const u of updates) {
    const key = groupKey(u.tag);
    let g = groups.get(key);
    if (!g) {
      g = { key, tag: u.tag, updates: [], pendingCount: 0 };
      groups.set(key, g);
    }
    g.updates.push(u);
    if (u.acknowledged_at === null) g.pendingCount++;
  }
  return [...groups.values()].sort((a, b) => {
    if (!a.tag) return b.tag ? 1 : 0;
    if (!b.tag) return -1;
    return a.tag.name.localeCompare(b.tag.name, undefined, { sensitivity: 'base' }) || a.tag.id - b.tag.id;
  });
}
