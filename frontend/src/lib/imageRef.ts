/**
 * Parsing of container image references as Diun reports them
 * (`nginx`, `nginx:1.27`, `docker.io/library/nginx:1.27`,
 * `127.0.0.1:5000/test/app:latest`, `ghcr.io/a/b:1@sha256:…`, `quay.io/x/y@sha256:…`).
 * Follows the normalisation rules of the Docker reference grammar.
 */

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export interface ImageRef {
  /** The string as given. */
  raw: string;
  /** Registry host (with port), `docker.io` when none is given. */
  registry: string;
  /** Whether the registry was written in the reference. */
  explicitRegistry: boolean;
  /** Full repository path as the registry knows it (`library/nginx`). */
  repository: string;
  /** Repository as a person would write it (`nginx` for Docker Hub official images). */
  displayRepository: string;
  /** Tag, or null when the reference only pins a digest. `latest` when neither is given. */
  tag: string | null;
  /** Digest suffix (`sha256:…`) or null. */
  digest: string | null;
  /** Docker Hub. */
  isDockerHub: boolean;
  /** Docker Hub official image (`library/…`). */
  isOfficial: boolean;
}

function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

export function parseImageRef(input: string): ImageRef {
  const raw = input;
  let rest = input.trim();

  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1) || null;
    rest = rest.slice(0, at);
  }

  let registry = DOCKER_HUB;
  let explicitRegistry = false;
  const slash = rest.indexOf('/');
  if (slash > 0 && looksLikeRegistry(rest.slice(0, slash))) {
    registry = rest.slice(0, slash).toLowerCase();
    explicitRegistry = true;
    rest = rest.slice(slash + 1);
  }

  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1) || null;
    rest = rest.slice(0, colon);
  }

  const isDockerHub = DOCKER_HUB_ALIASES.has(registry);
  if (isDockerHub) registry = DOCKER_HUB;

  let repository = rest;
  if (isDockerHub && repository && !repository.includes('/')) {
    repository = `library/${repository}`;
  }
  const isOfficial = isDockerHub && repository.startsWith('library/') && repository.split('/').length === 2;
  const displayRepository = isOfficial ? repository.slice('library/'.length) : repository;

  if (tag === null && digest === null) tag = 'latest';

  return { raw, registry, explicitRegistry, repository, displayRepository, tag, digest, isDockerHub, isOfficial };
}

/** Human label of a registry: `Docker Hub` for docker.io, else the host. */
export function registryLabel(ref: ImageRef): string {
  return ref.isDockerHub ? 'Docker Hub' : ref.registry;
}

/** First 12 hex characters of a `sha256:` digest (or of whatever digest is given). */
export function shortDigest(digest: string | null | undefined): string {
  if (!digest) return '';
  const colon = digest.indexOf(':');
  const hex = colon >= 0 ? digest.slice(colon + 1) : digest;
  return hex.slice(0, 12);
}

/**
 * Diun's test notification (`diun notif test`): always the image
 * `diun/testnotif` on Docker Hub (status `new`, provider `file`, no metadata),
 * sent from whatever host Diun runs on.
 */
export function isTestNotification(image: string): boolean {
  const ref = parseImageRef(image);
  return ref.isDockerHub && ref.repository === 'diun/testnotif';
}
