/**
 * The list's sections: one per tag, "Untagged" last, in the order and with the
 * counts of the server's summary (which counts every matching update, loaded
 * or not). Each section carries the updates loaded so far for it.
 */
import type { Summary, SummaryGroup, TagRef, Update } from './types';
import type { StatusFilter } from './viewState';

export const UNTAGGED_KEY = 'untagged';

export function groupKey(tag: TagRef | null): string {
  return tag ? `tag:${tag.id}` : UNTAGGED_KEY;
}

/** What is loaded of one section (see data/groupPages.ts). */
export interface LoadedGroup {
  updates: Update[];
  /** Cursor of the next page; null once the last page arrived. */
  cursor: string | null;
  /** The first page arrived. */
  started: boolean;
  loading: boolean;
  error: string | null;
}

export interface Group {
  /** `tag:<id>` or `untagged`. */
  key: string;
  tag: TagRef | null;
  /** Updates of this section under the status filter, per the summary. */
  count: number;
  pendingCount: number;
  /** The loaded ones, in the server's order. */
  updates: Update[];
  /** More pages to load (or the first one). */
  hasMore: boolean;
  loading: boolean;
  error: string | null;
}

export function countFor(g: Pick<SummaryGroup, 'pending' | 'acknowledged'>, status: StatusFilter): number {
  return status === 'pending' ? g.pending : status === 'acknowledged' ? g.acknowledged : g.pending + g.acknowledged;
}

/** Sections to show: the summary's groups that have something under the status filter. */
export function groupsOf(summary: Summary, status: StatusFilter, loaded: ReadonlyMap<string, LoadedGroup>): Group[] {
  const groups: Group[] = [];
  for (const s of summary.tags) {
    const count = countFor(s, status);
    const key = groupKey(s.tag);
    const l = loaded.get(key);
    if (count === 0 && !l?.updates.length) continue;
    groups.push({
      key,
      tag: s.tag,
      count,
      pendingCount: s.pending,
      updates: l?.updates ?? [],
      hasMore: !l || !l.started || l.cursor !== null,
      loading: l?.loading ?? false,
      error: l?.error ?? null,
    });
  }
  return groups;
}
