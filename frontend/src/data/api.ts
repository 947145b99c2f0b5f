/**
 * Thin client of the server's JSON API. Every URL is resolved against
 * document.baseURI so the dashboard works behind a reverse proxy under a
 * sub-path (the server rewrites `<base href>`); no path starts with "/".
 *
 * The list endpoints are paged and carry an ETag (the server's revision):
 * `getFresh` sends `If-None-Match` and reports a 304 as "unchanged".
 */
import type { ApiErrorBody, ImagePage, MuteRule, NewMuteRule, ServerInfo, Summary, Tag, TagRef, Update, UpdateEvent, UpdatePage, UpdateState } from '../lib/types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  constructor(status: number, code: string, message: string, field: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export function apiUrl(path: string, base: string = document.baseURI): string {
  if (path.startsWith('/')) throw new Error(`API paths are relative to the base URI: ${path}`);
  return new URL(path, base).href;
}

/** Query string from the parameters that are set (undefined, null and '' are left out). */
export function queryString(params: object): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params) as Array<[string, unknown]>) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function send(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extraHeaders },
      body: body === undefined ? undefined : JSON.stringify(body),
      // The browser cache stays out of it: revalidation is done here, with our own If-None-Match.
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', 'Could not reach the Diun Dashboard server. Check your connection and try again.');
  }
  if (!res.ok && res.status !== 304) {
    let code = 'http_error';
    let field: string | null = null;
    let message = `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`;
    try {
      const data = (await res.json()) as Partial<ApiErrorBody>;
      if (typeof data.error === 'string') code = data.error;
      if (typeof data.message === 'string' && data.message) message = data.message;
      if (typeof data.field === 'string') field = data.field;
    } catch {
      // not JSON: keep the generic sentence
    }
    throw new ApiError(res.status, code, message, field);
  }
  return res;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A GET that may come back "unchanged" (304) when `etag` is still the server's revision. */
export type Fresh<T> = { changed: false; etag: string } | { changed: true; etag: string | null; body: T };

async function getFresh<T>(path: string, etag?: string | null): Promise<Fresh<T>> {
  const res = await send('GET', path, undefined, etag ? { 'if-none-match': etag } : {});
  if (res.status === 304 && etag) return { changed: false, etag };
  return { changed: true, etag: res.headers.get('etag'), body: (await res.json()) as T };
}

/** Filters the list and the summary understand; `tag` is a tag id or 'none' (untagged). */
export interface UpdateFilter {
  tag?: number | 'none' | null;
  host?: string | null;
  q?: string | null;
}

export interface PageQuery extends UpdateFilter {
  acknowledged?: boolean | null;
  state?: UpdateState | null;
  /** One image (exact reference), on every host. */
  image?: string | null;
  limit: number;
  cursor?: string | null;
}

export interface ImageQuery extends UpdateFilter {
  state?: UpdateState | null;
  limit: number;
  cursor?: string | null;
}

export type AckTarget = { ids: number[] } | { tag_id: number } | { all: true } | { image: string } | { filter: { tag?: number | 'none'; host?: string; q?: string } };
export type SnoozeTarget = { ids: number[] } | { image: string };
export type UnackTarget = { ids: number[] } | { acknowledged_at: string };

export const api = {
  info: () => request<ServerInfo>('GET', 'api/info'),
  page: (q: PageQuery) =>
    request<UpdatePage>(
      'GET',
      `api/updates${queryString({ limit: q.limit, cursor: q.cursor, acknowledged: q.acknowledged, state: q.state, image: q.image, tag: q.tag, host: q.host, q: q.q?.trim() })}`,
    ),
  /** Images across hosts, a page at a time; `etag` makes it a cheap "changed?" check. */
  images: (q: ImageQuery, etag?: string | null) =>
    getFresh<ImagePage>(`api/images${queryString({ limit: q.limit, cursor: q.cursor, state: q.state, tag: q.tag, host: q.host, q: q.q?.trim() })}`, etag),
  summary: (f: UpdateFilter, etag?: string | null) => getFresh<Summary>(`api/updates/summary${queryString({ tag: f.tag, host: f.host, q: f.q?.trim() })}`, etag),
  update: (id: number) => request<Update>('GET', `api/updates/${id}`),
  events: (id: number) => request<UpdateEvent[]>('GET', `api/updates/${id}/events`),
  setAcknowledged: (id: number, acknowledged: boolean) => request<Update>('PATCH', `api/updates/${id}`, { acknowledged }),
  acknowledge: (target: AckTarget) => request<{ acknowledged: number; acknowledged_at: string }>('POST', 'api/updates/acknowledge', target),
  unacknowledge: (target: UnackTarget) => request<{ unacknowledged: number }>('POST', 'api/updates/unacknowledge', target),
  snooze: (until: string, target: SnoozeTarget) => request<{ snoozed: number; until: string }>('POST', 'api/updates/snooze', { until, ...target }),
  unsnooze: (ids: number[]) => request<{ unsnoozed: number }>('POST', 'api/updates/unsnooze', { ids }),
  muteRules: () => request<MuteRule[]>('GET', 'api/mute-rules'),
  createMuteRule: (rule: NewMuteRule) => request<MuteRule>('POST', 'api/mute-rules', rule),
  deleteMuteRule: (id: number) => request<void>('DELETE', `api/mute-rules/${id}`),
  deleteUpdate: (id: number) => request<void>('DELETE', `api/updates/${id}`),
  tags: () => request<Tag[]>('GET', 'api/tags'),
  createTag: (name: string) => request<Tag>('POST', 'api/tags', { name }),
  renameTag: (id: number, name: string) => request<Tag>('PATCH', `api/tags/${id}`, { name }),
  deleteTag: (id: number) => request<void>('DELETE', `api/tags/${id}`),
  assignTag: (image: string, tagId: number) => request<unknown>('PUT', 'api/tag-assignments', { image, tag_id: tagId }),
  unassignTag: (image: string) => request<void>('DELETE', 'api/tag-assignments', { image }),
  /** Bulk forms: at most MAX_BULK_IMAGES images per request. */
  assignTagMany: (images: string[], tagId: number) => request<{ images: number; tag: TagRef }>('PUT', 'api/tag-assignments', { images, tag_id: tagId }),
  unassignTagMany: (images: string[]) => request<void>('DELETE', 'api/tag-assignments', { images }),
};

/** The server's limit on the bulk tag-assignment forms. */
export const MAX_BULK_IMAGES = 1000;

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
