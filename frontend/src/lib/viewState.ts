/** The "view" (filters and opened history) kept in the URL query string so it can be bookmarked. */

export type StatusFilter = 'pending' | 'snoozed' | 'muted' | 'acknowledged' | 'all';
/** How the list is grouped: sections per tag, or one row per image across hosts. */
export type Grouping = 'tag' | 'image';

const STATUSES: readonly string[] = ['pending', 'snoozed', 'muted', 'acknowledged', 'all'];
export type TagFilter = number | 'none' | null;

export interface ViewState {
  status: StatusFilter;
  q: string;
  tag: TagFilter;
  host: string | null;
  by: Grouping;
  history: number | null;
}

export const DEFAULT_VIEW: ViewState = { status: 'pending', q: '', tag: null, host: null, by: 'tag', history: null };

function positiveInt(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

export function parseView(search: string): ViewState {
  const p = new URLSearchParams(search);
  const status = p.get('status');
  const tagRaw = p.get('tag');
  const host = p.get('host');
  return {
    status: status !== null && STATUSES.includes(status) ? (status as StatusFilter) : 'pending',
    q: p.get('q') ?? '',
    tag: tagRaw === 'none' ? 'none' : positiveInt(tagRaw),
    host: host ? host : null,
    by: p.get('group') === 'image' ? 'image' : 'tag',
    history: positiveInt(p.get('history')),
  };
}

/** Query string (with leading `?`, or empty) of a view; defaults are left out. */
export function serializeView(view: ViewState): string {
  const p = new URLSearchParams();
  if (view.status !== 'pending') p.set('status', view.status);
  if (view.q) p.set('q', view.q);
  if (view.tag !== null) p.set('tag', String(view.tag));
  if (view.host) p.set('host', view.host);
  if (view.by === 'image') p.set('group', 'image');
  if (view.history !== null) p.set('history', String(view.history));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function hasActiveFilters(view: ViewState): boolean {
  return view.q.trim() !== '' || view.tag !== null || view.host !== null;
}
