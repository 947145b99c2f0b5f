import { describe, expect, it } from 'vitest';
import { isTestNotification, parseImageRef, registryLabel, shortDigest } from './imageRef';

const D = 'sha256:216e3ae7de4ca8b553eb11ef7abda00651e79e537e85c46108284e5e91673e01';

describe('parseImageRef', () => {
  const cases: Array<[string, { registry: string; repository: string; display: string; tag: string | null; digest: string | null; official: boolean }]> = [
    ['nginx', { registry: 'docker.io', repository: 'library/nginx', display: 'nginx', tag: 'latest', digest: null, official: true }],
    ['nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', display: 'nginx', tag: '1.27', digest: null, official: true }],
    ['docker.io/library/nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', display: 'nginx', tag: '1.27', digest: null, official: true }],
    ['index.docker.io/library/redis:7.4', { registry: 'docker.io', repository: 'library/redis', display: 'redis', tag: '7.4', digest: null, official: true }],
    ['docker.io/grafana/grafana:11.3.0', { registry: 'docker.io', repository: 'grafana/grafana', display: 'grafana/grafana', tag: '11.3.0', digest: null, official: false }],
    ['grafana/grafana', { registry: 'docker.io', repository: 'grafana/grafana', display: 'grafana/grafana', tag: 'latest', digest: null, official: false }],
    ['127.0.0.1:5000/test/app:latest', { registry: '127.0.0.1:5000', repository: 'test/app', display: 'test/app', tag: 'latest', digest: null, official: false }],
    ['localhost/app', { registry: 'localhost', repository: 'app', display: 'app', tag: 'latest', digest: null, official: false }],
    ['localhost:5000/team/app:v2', { registry: 'localhost:5000', repository: 'team/app', display: 'team/app', tag: 'v2', digest: null, official: false }],
    [`ghcr.io/a/b:1@${D}`, { registry: 'ghcr.io', repository: 'a/b', display: 'a/b', tag: '1', digest: D, official: false }],
    [`quay.io/x/y@${D}`, { registry: 'quay.io', repository: 'x/y', display: 'x/y', tag: null, digest: D, official: false }],
    [`nginx@${D}`, { registry: 'docker.io', repository: 'library/nginx', display: 'nginx', tag: null, digest: D, official: true }],
    ['quay.io/prometheus/prometheus:v3.1.0', { registry: 'quay.io', repository: 'prometheus/prometheus', display: 'prometheus/prometheus', tag: 'v3.1.0', digest: null, official: false }],
    ['ghcr.io/home-assistant/home-assistant:2026.11', { registry: 'ghcr.io', repository: 'home-assistant/home-assistant', display: 'home-assistant/home-assistant', tag: '2026.11', digest: null, official: false }],
    ['registry.example.com:8443/deep/nested/path/app:1.0-rc.1', { registry: 'registry.example.com:8443', repository: 'deep/nested/path/app', display: 'deep/nested/path/app', tag: '1.0-rc.1', digest: null, official: false }],
    ['Docker.IO/library/alpine:3', { registry: 'docker.io', repository: 'library/alpine', display: 'alpine', tag: '3', digest: null, official: true }],
    ['myuser/app:latest', { registry: 'docker.io', repository: 'myuser/app', display: 'myuser/app', tag: 'latest', digest: null, official: false }],
  ];

  for (const [input, want] of cases) {
    it(`parses ${input}`, () => {
      const ref = parseImageRef(input);
      expect(ref.registry).toBe(want.registry);
      expect(ref.repository).toBe(want.repository);
      expect(ref.displayRepository).toBe(want.display);
      expect(ref.tag).toBe(want.tag);
      expect(ref.digest).toBe(want.digest);
      expect(ref.isOfficial).toBe(want.official);
      expect(ref.raw).toBe(input);
    });
  }

  it('does not take a registry port for a tag', () => {
    const ref = parseImageRef('10.0.0.2:5000/app');
    expect(ref.registry).toBe('10.0.0.2:5000');
    expect(ref.repository).toBe('app');
    expect(ref.tag).toBe('latest');
  });

  it('records whether the registry was explicit', () => {
    expect(parseImageRef('nginx').explicitRegistry).toBe(false);
    expect(parseImageRef('docker.io/nginx').explicitRegistry).toBe(true);
  });

  it('splits the tag only after the last slash', () => {
    const ref = parseImageRef('evil/<script>alert(1)</script>:x');
    expect(ref.repository).toBe('evil/<script>alert(1)</script>');
    expect(ref.tag).toBe('x');
  });
});

describe('registryLabel', () => {
  it('names Docker Hub', () => {
    expect(registryLabel(parseImageRef('nginx'))).toBe('Docker Hub');
    expect(registryLabel(parseImageRef('ghcr.io/a/b'))).toBe('ghcr.io');
  });
});

describe('shortDigest', () => {
  it('takes 12 hex chars after sha256:', () => {
    expect(shortDigest(D)).toBe('216e3ae7de4c');
    expect(shortDigest('abcdef0123456789')).toBe('abcdef012345');
    expect(shortDigest('')).toBe('');
    expect(shortDigest(null)).toBe('');
  });
});

describe('isTestNotification', () => {
  it("recognises Diun's test image on any spelling of Docker Hub, and nothing else", () => {
    expect(isTestNotification('docker.io/diun/testnotif:latest')).toBe(true);
    expect(isTestNotification('diun/testnotif')).toBe(true);
    expect(isTestNotification('index.docker.io/diun/testnotif:latest')).toBe(true);
    expect(isTestNotification('ghcr.io/diun/testnotif:latest')).toBe(false);
    expect(isTestNotification('docker.io/crazymax/diun:latest')).toBe(false);
    expect(isTestNotification('docker.io/diun/testnotif-app:1')).toBe(false);
  });
});
