import { describe, expect, it } from 'vitest';
import { parsePattern, ruleMatches, suggestedPatterns } from './mutePattern';

const m = (pattern: string, image: string) => {
  const p = parsePattern(pattern);
  if (!p.ok) throw new Error(p.error);
  return p.pattern.test(image);
};

describe('mute patterns', () => {
  it('* stays within a path segment, ** crosses them, ? is one character', () => {
    expect(m('docker.io/library/nginx:*', 'docker.io/library/nginx:1.27')).toBe(true);
    expect(m('docker.io/library/*', 'docker.io/library/nginx:1.27')).toBe(true);
    expect(m('docker.io/*', 'docker.io/library/nginx:1.27')).toBe(false);
    expect(m('docker.io/**', 'docker.io/library/nginx:1.27')).toBe(true);
    expect(m('**/nginx:*', 'ghcr.io/acme/web/nginx:2')).toBe(true);
    expect(m('redis:?', 'redis:7')).toBe(true);
    expect(m('redis:?', 'redis:7.4')).toBe(false);
    expect(m('a?b', 'a/b')).toBe(false);
  });

  it('matches the whole reference, and regular-expression characters are literal', () => {
    expect(m('nginx', 'docker.io/library/nginx:1.27')).toBe(false);
    expect(m('docker.io/library/nginx:1.27', 'docker.io/library/nginx:1.27')).toBe(true);
    expect(m('docker.io/library/nginx:1.27', 'dockerXio/library/nginx:1.27')).toBe(false);
    expect(m('img+(1)|x', 'img+(1)|x')).toBe(true);
  });

  it('sets: [abc], ranges and [!…]', () => {
    expect(m('redis:[67]', 'redis:7')).toBe(true);
    expect(m('redis:[0-5]', 'redis:7')).toBe(false);
    expect(m('redis:[!7]', 'redis:6')).toBe(true);
    expect(m('redis:[!7]', 'redis:7')).toBe(false);
    // As in shell globs (and the server): a "]" first in a set is a member; "/" is never in a set.
    expect(m('x[]a]', 'x]')).toBe(true);
    expect(m('x[!]a]', 'xb')).toBe(true);
    expect(m('a[!x]b', 'a/b')).toBe(false);
    expect(m('a[/]b', 'a/b')).toBe(false);
    expect(parsePattern('x[z-a]').ok).toBe(false);
    expect(parsePattern('  nginx:*  ').ok && m('  nginx:*  ', 'nginx:1')).toBe(true);
  });

  it('refuses empty, over-long, NUL and unbalanced patterns with a sentence', () => {
    for (const bad of ['', '   ', 'a'.repeat(256), 'a\0b', 'a\tb', 'nginx:[1', 'nginx:]1', 'x[]']) {
      const p = parsePattern(bad);
      expect(p.ok, bad).toBe(false);
      if (!p.ok) expect(p.error.length).toBeGreaterThan(5);
    }
    expect(parsePattern('a'.repeat(255)).ok).toBe(true);
  });

  it('a rule narrows by host and status when they are set', () => {
    const u = { image: 'docker.io/library/nginx:1.27', hostname: 'nas', status: 'update' as const };
    expect(ruleMatches({ pattern: 'docker.io/**' }, u)).toBe(true);
    expect(ruleMatches({ pattern: 'docker.io/**', hostname: 'pi' }, u)).toBe(false);
    expect(ruleMatches({ pattern: 'docker.io/**', status: 'new' }, u)).toBe(false);
    expect(ruleMatches({ pattern: 'docker.io/**', hostname: 'nas', status: 'update' }, u)).toBe(true);
    expect(ruleMatches({ pattern: '[' }, u)).toBe(false);
  });

  it('suggests this tag, any tag, the whole namespace', () => {
    expect(suggestedPatterns('docker.io/library/nginx:1.27').map((s) => s.pattern)).toEqual(['docker.io/library/nginx:1.27', 'docker.io/library/nginx:*', 'docker.io/library/**']);
    expect(suggestedPatterns('registry.lan:5000/app@sha256:abc').map((s) => s.pattern)).toEqual(['registry.lan:5000/app@sha256:abc', 'registry.lan:5000/app:*', 'registry.lan:5000/**']);
    for (const image of ['docker.io/library/nginx:1.27', 'ghcr.io/a/b/c:v1', 'registry.lan:5000/app:2']) {
      for (const s of suggestedPatterns(image)) expect(m(s.pattern, image), `${s.pattern} catches ${image}`).toBe(true);
    }
  });
});
