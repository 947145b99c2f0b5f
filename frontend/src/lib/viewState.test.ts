import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, hasActiveFilters, parseView, serializeView, type ViewState } from './viewState';

describe('view state in the URL', () => {
  it('parses the documented example', () => {
    expect(parseView('?status=pending&q=nginx&tag=3&host=nas&history=12')).toEqual({
      status: 'pending',
      q: 'nginx',
      tag: 3,
      host: 'nas',
      by: 'tag',
      history: 12,
    });
    expect(parseView('?status=snoozed&group=image')).toEqual({ ...DEFAULT_VIEW, status: 'snoozed', by: 'image' });
    expect(serializeView({ ...DEFAULT_VIEW, status: 'muted', by: 'image' })).toBe('?status=muted&group=image');
  });

  it('defaults to pending with no filters', () => {
    expect(parseView('')).toEqual(DEFAULT_VIEW);
    expect(serializeView(DEFAULT_VIEW)).toBe('');
  });

  it('ignores invalid values', () => {
    expect(parseView('?status=bogus&tag=abc&history=-1&host=')).toEqual(DEFAULT_VIEW);
    expect(parseView('?tag=0').tag).toBe(null);
  });

  it('round-trips every field, including odd characters', () => {
    const views: ViewState[] = [
      { status: 'acknowledged', q: 'nginx proxy', tag: 'none', host: 'nas', by: 'tag', history: null },
      { status: 'all', q: '<script>&x=1#', tag: 42, host: 'host with space', by: 'image', history: 7 },
      { status: 'pending', q: '', tag: null, host: null, by: 'tag', history: 3 },
      { status: 'snoozed', q: '', tag: null, host: null, by: 'image', history: null },
      { status: 'muted', q: '', tag: null, host: null, by: 'tag', history: null },
    ];
    for (const v of views) expect(parseView(serializeView(v))).toEqual(v);
  });

  it('omits defaults when serialising', () => {
    expect(serializeView({ ...DEFAULT_VIEW, q: 'a b' })).toBe('?q=a+b');
    expect(serializeView({ ...DEFAULT_VIEW, status: 'all', tag: 'none' })).toBe('?status=all&tag=none');
  });

  it('knows when filters narrow the list', () => {
    expect(hasActiveFilters(DEFAULT_VIEW)).toBe(false);
    expect(hasActiveFilters({ ...DEFAULT_VIEW, host: 'nas' })).toBe(true);
    expect(hasActiveFilters({ ...DEFAULT_VIEW, q: '  ' })).toBe(false);
  });
});
