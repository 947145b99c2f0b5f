import { describe, expect, it } from 'vitest';
import { groupAckFilter, isFiltered, listQueryOf, pageQuery, sameQuery } from './listQuery';
import { queryString } from './api';

describe('listQuery', () => {
  const q = listQueryOf({ status: 'pending', q: '  nginx ', tag: null, host: 'nas' });

  it('turns a section and the filters into the parameters of its pages', () => {
    expect(pageQuery(q, 'tag:4', 100)).toEqual({ acknowledged: false, tag: 4, host: 'nas', q: 'nginx', limit: 100, cursor: null });
    expect(pageQuery({ ...q, status: 'all' }, 'untagged', 50, 'c')).toMatchObject({ acknowledged: null, tag: 'none', cursor: 'c' });
    expect(queryString(pageQuery({ ...q, host: null }, 'untagged', 100))).toBe('?acknowledged=false&tag=none&q=nginx&limit=100');
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
    expect(isFiltered({ status: 'acknowledged', q: '', tag: null, host: null })).toBe(false);
  });
});
