import { describe, expect, it } from 'vitest';
import { groupAckFilter, imageQuery, isFiltered, listQueryOf, pageQuery, sameQuery } from './listQuery';
import { queryString } from './api';

describe('listQuery', () => {
  const q = listQueryOf({ status: 'pending', q: '  nginx ', tag: null, host: 'nas' });

  it('turns a section and the filters into the parameters of its pages', () => {
    expect(pageQuery(q, 'tag:4', 100)).toEqual({ acknowledged: false, tag: 4, host: 'nas', q: 'nginx', limit: 100, cursor: null });
    expect(pageQuery({ ...q, status: 'all' }, 'untagged', 50, 'c')).toMatchObject({ tag: 'none', cursor: 'c' });
    expect(pageQuery({ ...q, status: 'all' }, 'untagged', 50, 'c').acknowledged).toBeUndefined();
    expect(queryString(pageQuery({ ...q, host: null }, 'untagged', 100))).toBe('?acknowledged=false&tag=none&q=nginx&limit=100');
  });

  it('asks snoozed and muted by state, pending and acknowledged by their alias every server knows', () => {
    expect(queryString(pageQuery({ ...q, status: 'snoozed', host: null }, 'tag:4', 100))).toBe('?state=snoozed&tag=4&q=nginx&limit=100');
    expect(queryString(pageQuery({ ...q, status: 'muted', q: '', host: null }, 'untagged', 100))).toBe('?state=muted&tag=none&limit=100');
    expect(queryString(pageQuery({ ...q, status: 'acknowledged', q: '', host: null }, 'untagged', 10))).toBe('?acknowledged=true&tag=none&limit=10');
  });

  it("an image's section asks for that image on every host, under the same filters", () => {
    const byImage = { ...q, by: 'image' as const };
    expect(queryString(pageQuery(byImage, 'image:docker.io/library/nginx:1.27', 100))).toBe(
      '?acknowledged=false&image=docker.io%2Flibrary%2Fnginx%3A1.27&host=nas&q=nginx&limit=100',
    );
    expect(imageQuery({ ...byImage, status: 'all' }, 100, 'c')).toEqual({ state: null, tag: null, host: 'nas', q: 'nginx', limit: 100, cursor: 'c' });
    expect(imageQuery({ ...byImage, status: 'snoozed' }, 100).state).toBe('snoozed');
  });

  it("builds the acknowledge-all filter of a section (only the keys that are set)", () => {
    expect(groupAckFilter(q, 'tag:4')).toEqual({ tag: 4, host: 'nas', q: 'nginx' });
    expect(groupAckFilter(listQueryOf({ status: 'all', q: '', tag: null, host: null }), 'untagged')).toEqual({ tag: 'none' });
  });

  it('compares queries and tells when the summary needs a filter', () => {
    expect(sameQuery(q, listQueryOf({ status: 'pending', q: 'nginx', tag: null, host: 'nas' }))).toBe(true);
    expect(sameQuery(q, { ...q, status: 'all' })).toBe(false);
    expect(sameQuery(null, q)).toBe(false);
    expect(isFiltered(q)).toBe(true);
    expect(isFiltered({ status: 'acknowledged', q: '', tag: null, host: null, by: 'tag' })).toBe(false);
    expect(sameQuery(q, { ...q, by: 'image' })).toBe(false);
  });
});
