/**
 * Thin client of the server's JSON API. Every URL is resolved against
 * document.baseURI so the dashboard works behind a reverse proxy under a
 * sub-path (the server rewrites `<base href>`); no path starts with "/".
 */
import type { ApiErrorBody, ServerInfo, Tag, Update, UpdateEvent } from '../lib/types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export function apiUrl(path: string, base: string = document.baseURI): string {
  if (path.startsWith('/')) throw new Error(`API paths are relative to the base URI: ${path}`);
  return new URL(path, base).href;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', 'Could not reach the Diun Dashboard server. Check your connection and try again.');
  }
  if (!res.ok) {
    let code = 'http_error';
    let message = `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`;
    try {
      const data = (await res.json()) as Partial<ApiErrorBody>;
      if (typeof data.error === 'string') code = data.error;
      if (typeof data.message === 'string' && data.message) message = data.message;
    } catch {
      // not JSON: keep the generic sentence
    }
    throw new ApiError(res.status, code, message);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  info: () => request<ServerInfo>('GET', 'api/info'),
  updates: () => request<Update[]>('GET', 'api/updates'),
  update: (id: number) => request<Update>('GET', `api/updates/${id}`),
  events: (id: number) => request<UpdateEvent[]>('GET', `api/updates/${id}/events`),
  setAcknowledged: (id: number, acknowledged: boolean) => request<Update>('PATCH', `api/updates/${id}`, { acknowledged }),
  acknowledge: (target: { ids: number[] } | { tag_id: number } | { all: true }) =>
    request<{ acknowledged: number }>('POST', 'api/updates/acknowledge', target),
  deleteUpdate: (id: number) => request<void>('DELETE', `api/updates/${id}`),
  tags: () => request<Tag[]>('GET', 'api/tags'),
  createTag: (name: string) => request<Tag>('POST', 'api/tags', { name }),
  renameTag: (id: number, name: string) => request<Tag>('PATCH', `api/tags/${id}`, { name }),
  deleteTag: (id: number) => request<void>('DELETE', `api/tags/${id}`),
  assignTag: (image: string, tagId: number) => request<unknown>('PUT', 'api/tag-assignments', { image, tag_id: tagId }),
  unassignTag: (image: string) => request<void>('DELETE', 'api/tag-assignments', { image }),
};

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
