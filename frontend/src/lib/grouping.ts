/**
 * The list's sections. Grouped by tag: one per tag, "Untagged" last, in the
 * order and with the counts of the server's summary (which counts every
 * matching update, loaded or not). Grouped by image: one per image across
 * hosts, as GET api/images pages them. Each section carries the updates loaded
 * so far for it (an image's only once it is expanded).
 */
import type { ImageGroup, Summary, SummaryGroup, TagRef, Update } from './types';
import type { Grouping, StatusFilter } from './viewState';

export const UNTAGGED_KEY = 'untagged';
const IMAGE_PREFIX = 'image:';

export function groupKey(tag: TagRef | null): string {
  return tag ? `tag:${tag.id}` : UNTAGGED_KEY;
}

/** Key of an image's section (grouped by image). */
export function imageKey(image: string): string {
  return `${IMAGE_PREFIX}${image}`;
}

/** The image of an image section's key, or null for a tag section. */
export function imageOfKey(key: string): string | null {
  return key.startsWith(IMAGE_PREFIX) ? key.slice(IMAGE_PREFIX.length) : null;
}

/** The section an update belongs to under a grouping. */
export function sectionOf(u: Update, by: Grouping): string {
  return by === 'image' ? imageKey(u.image) : groupKey(u.tag);
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
  /** Grouped by image: the image across hosts. */
  image?: ImageGroup;
}

type Counts = Pick<SummaryGroup, 'pending' | 'acknowledged' | 'snoozed' | 'muted'>;

export function countFor(g: Counts, status: StatusFilter): number {
  const snoozed = g.snoozed ?? 0;
  const muted = g.muted ?? 0;
  switch (status) {
    case 'pending':
      return g.pending;
    case 'acknowledged':
      return g.acknowledged;
    case 'snoozed':
      return snoozed;
    case 'muted':
      return muted;
    default:
      return g.pending + g.acknowledged + snoozed + muted;
  }
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

/** Sections grouped by image: one per loaded image row, in the server's order. */
export function imageGroupsOf(images: readonly ImageGroup[], status: StatusFilter, loaded: ReadonlyMap<string, LoadedGroup>): Group[] {
  return images.map((img) => {
    const key = imageKey(img.image);
    const l = loaded.get(key);
    return {
      key,
      tag: img.tag,
      count: countFor(img, status),
      pendingCount: img.pending,
      updates: l?.updates ?? [],
      hasMore: !l || !l.started || l.cursor !== null,
      loading: l?.loading ?? false,
      error: l?.error ?? null,
      image: img,
    };
  });
}
