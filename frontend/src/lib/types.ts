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
}
