/** Shapes of the server's JSON API (see the API contract). Times are RFC 3339 UTC strings. */

export type UpdateStatus = 'new' | 'update';

/** One state per update, by precedence: acknowledged > muted > snoozed > pending. */
export type UpdateState = 'pending' | 'snoozed' | 'muted' | 'acknowledged';

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
  /** Hidden from the pending list until then ("not now"); null when not snoozed. */
  snoozed_until?: string | null;
  /** The mute rule that holds it, or null. */
  muted_by?: number | null;
  /** When it last became pending. */
  pending_since?: string;
  state?: UpdateState;
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
  snoozed?: number;
  muted?: number;
}

export interface SummaryHost {
  hostname: string;
  pending: number;
  acknowledged: number;
  snoozed?: number;
  muted?: number;
}

/** GET api/updates/summary: counts of the updates matching a filter. */
export interface Summary {
  pending: number;
  acknowledged: number;
  snoozed?: number;
  muted?: number;
  total: number;
  oldest_pending: Update | null;
  /** By tag name (case-insensitive), untagged last; only groups with matching updates. */
  tags: SummaryGroup[];
  hosts: SummaryHost[];
}

/** A mute rule: updates whose image matches `pattern` (and host, status when set) leave the pending list. */
export interface MuteRule {
  id: number;
  /** Glob on the image reference: `*` within one path segment, `**` across segments, `?` one character. */
  pattern: string;
  hostname: string | null;
  status: UpdateStatus | null;
  comment: string;
  created_at: string;
  /** Updates it mutes now. */
  held: number;
}

export interface NewMuteRule {
  pattern: string;
  hostname?: string | null;
  status?: UpdateStatus | null;
  comment?: string;
}

/** One image across hosts (GET api/images): counts are over its updates matching the filter. */
export interface ImageGroup {
  image: string;
  /** Sorted, at most 50. */
  hosts: string[];
  host_count: number;
  pending: number;
  snoozed: number;
  muted: number;
  acknowledged: number;
  total: number;
  newest_digest: string;
  first_seen_at: string;
  last_seen_at: string;
  tag: TagRef | null;
}

export interface ImagePage {
  images: ImageGroup[];
  next_cursor: string | null;
}
