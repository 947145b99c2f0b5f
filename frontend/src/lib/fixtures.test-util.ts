import type { Update } from './types';

let nextId = 1;

/** An Update with sensible defaults, for tests. */
export function makeUpdate(over: Partial<Update> = {}): Update {
  const id = over.id ?? nextId++;
  return {
    id,
    hostname: 'nas',
    image: 'docker.io/library/nginx:1.27',
    status: 'update',
    provider: 'docker',
    hub_link: '',
    mime_type: 'application/vnd.oci.image.index.v1+json',
    digest: 'sha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1',
    created: null,
    platform: 'linux/amd64',
    diun_version: '4.33.0',
    metadata: {},
    first_seen_at: '2026-11-20T08:00:00Z',
    last_seen_at: '2026-11-20T08:00:00Z',
    acknowledged_at: null,
    event_count: 1,
    tag: null,
    ...over,
  };
}
