/**
 * What the list shows (status, search, tag, host) and how that becomes API
 * parameters. The summary ignores the status (it counts both), the pages of a
 * group add their own `tag`.
 */
import { UNTAGGED_KEY } from '../lib/grouping';
import type { StatusFilter, TagFilter, ViewState } from '../lib/viewState';
import type { PageQuery, UpdateFilter } from './api';

export interface ListQuery {
  status: StatusFilter;
  q: string;
  tag: TagFilter;
  host: string | null;
}

export function listQueryOf(view: Pick<ViewState, 'status' | 'q' | 'tag' | 'host'>): ListQuery {
  return { status: view.status, q: view.q.trim(), tag: view.tag, host: view.host };
}

export function sameQuery(a: ListQuery | null, b: ListQuery | null): boolean {
  return !!a && !!b && a.status === b.status && a.q === b.q && a.tag === b.tag && a.host === b.host;
}

/** The summary's filter: everything but the status. */
export function summaryFilter(q: ListQuery): UpdateFilter {
  return { tag: q.tag, host: q.host, q: q.q };
}

/** Whether the filtered summary differs from the unfiltered one (the tiles). */
export function isFiltered(q: ListQuery): boolean {
  return q.q !== '' || q.tag !== null || q.host !== null;
}

export function acknowledgedParam(status: StatusFilter): boolean | null {
  return status === 'all' ? null : status === 'acknowledged';
}

/** `tag` parameter of a group's pages: `tag:<id>` → id, `untagged` → 'none'. */
export function tagParamOf(groupKey: string): number | 'none' {
  return groupKey === UNTAGGED_KEY ? 'none' : Number(groupKey.slice('tag:'.length));
}

/** The request for one page of a group under a query. */
export function pageQuery(q: ListQuery, groupKey: string, limit: number, cursor: string | null = null): PageQuery {
  return { acknowledged: acknowledgedParam(q.status), tag: tagParamOf(groupKey), host: q.host, q: q.q, limit, cursor };
}

/** The `filter` form of POST api/updates/acknowledge for "acknowledge all" of a group under a query. */
export function groupAckFilter(q: ListQuery, groupKey: string): { tag: number | 'none'; host?: string; q?: string } {
  return { tag: tagParamOf(groupKey), ...(q.host ? { host: q.host } : {}), ...(q.q ? { q: q.q } : {}) };
}
