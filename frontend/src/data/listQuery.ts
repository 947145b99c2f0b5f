/**
 * What the list shows (status, search, tag, host) and how that becomes API
 * parameters. The summary ignores the status (it counts both), the pages of a
 * group add their own `tag`.
 */
import { imageOfKey, UNTAGGED_KEY } from '../lib/grouping';
import type { Grouping, StatusFilter, TagFilter, ViewState } from '../lib/viewState';
import type { ImageQuery, PageQuery, UpdateFilter } from './api';

export interface ListQuery {
  status: StatusFilter;
  q: string;
  tag: TagFilter;
  host: string | null;
  /** Sections per tag, or one per image across hosts. */
  by: Grouping;
}

export function listQueryOf(view: Pick<ViewState, 'status' | 'q' | 'tag' | 'host'> & { by?: Grouping }): ListQuery {
  return { status: view.status, q: view.q.trim(), tag: view.tag, host: view.host, by: view.by ?? 'tag' };
}

export function sameQuery(a: ListQuery | null, b: ListQuery | null): boolean {
  return !!a && !!b && a.status === b.status && a.q === b.q && a.tag === b.tag && a.host === b.host && a.by === b.by;
}

/** The summary's filter: everything but the status. */
export function summaryFilter(q: ListQuery): UpdateFilter {
  return { tag: q.tag, host: q.host, q: q.q };
}

/** Whether the filtered summary differs from the unfiltered one (the tiles). */
export function isFiltered(q: ListQuery): boolean {
  return q.q !== '' || q.tag !== null || q.host !== null;
}

/**
 * The state parameters of a page request: pending and acknowledged go as
 * `acknowledged=false|true` (its alias, understood by every server version),
 * snoozed and muted as `state`.
 */
export function stateParams(status: StatusFilter): Pick<PageQuery, 'acknowledged' | 'state'> {
  if (status === 'pending') return { acknowledged: false };
  if (status === 'acknowledged') return { acknowledged: true };
  if (status === 'all') return {};
  return { state: status };
}

/** `tag` parameter of a group's pages: `tag:<id>` → id, `untagged` → 'none'. */
export function tagParamOf(groupKey: string): number | 'none' {
  return groupKey === UNTAGGED_KEY ? 'none' : Number(groupKey.slice('tag:'.length));
}

/** The request for one page of a section under a query: a tag's, or an image's on every host. */
export function pageQuery(q: ListQuery, groupKey: string, limit: number, cursor: string | null = null): PageQuery {
  const image = imageOfKey(groupKey);
  if (image !== null) return { ...stateParams(q.status), image, tag: q.tag, host: q.host, q: q.q, limit, cursor };
  return { ...stateParams(q.status), tag: tagParamOf(groupKey), host: q.host, q: q.q, limit, cursor };
}

/** The request for one page of images across hosts under a query. */
export function imageQuery(q: ListQuery, limit: number, cursor: string | null = null): ImageQuery {
  return { state: q.status === 'all' ? null : q.status, tag: q.tag, host: q.host, q: q.q, limit, cursor };
}

/** The `filter` form of POST api/updates/acknowledge for "acknowledge all" of a group under a query. */
export function groupAckFilter(q: ListQuery, groupKey: string): { tag: number | 'none'; host?: string; q?: string } {
  return { tag: tagParamOf(groupKey), ...(q.host ? { host: q.host } : {}), ...(q.q ? { q: q.q } : {}) };
}
