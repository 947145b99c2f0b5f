/** Shapes of the server's JSON API (see the API contract). Times are RFC 3339 UTC strings. */

export type UpdateStatus = 'new' | 'update';

export interface TagRef {
  id: number;
  name: string;
}

export interface Update {
  id: number;
  hostname: string;
  image: string;
  status: UpdateStatus;
  provider: string;
  hub_link: string;
  mime_type: string;
  digest: string;
  created: string | null;
  platform: string;
  diun_version: string;
  metadata: Record<string, unknown>;
  first_seen_at: string;
  last_seen_at: string;
  acknowledged_at: string | null;
  event_count: number;
  tag: TagRef | null;
}

export interface UpdateEvent {
  id: number;
  update_id: number;
  received_at: string;
  status: UpdateStatus;
  digest: string;
  created: string | null;
  diun_version: string;
  metadata: Record<string, unknown> | null;
}

export interface Tag {
  id: number;
  name: string;
  created_at: string;
  image_count: number;
}

export interface ServerInfo {
  version: string;
  webhook_path: string;
  webhook_secret_set: boolean;
}

export interface ApiErrorBody {
  error: string;
  message: string;
  field?: string;
}

/** One page of GET api/updates: newest `last_seen_at` first; `next_cursor` null on the last page. */
export interface UpdatePage {
  updates: Update[];
  next_cursor: string | null;
}

export interface SummaryGroup {
  /** null: the untagged images. */
  tag: TagRef | null;
  pending: number;
  acknowledged: number;
}

export interface SummaryHost {
  hostname: string;
  pending: number;
  acknowledged: number;
}

/** GET api/updates/summary: counts of the updates matching a filter. */
export interface Summary {
  pending: number;
  acknowledged: number;
  total: number;
  oldest_pending: Update | null;
  /** By tag name (case-insensitive), untagged last; only groups with matching updates. */
  tags: SummaryGroup[];
  hosts: SummaryHost[];
}
