import { describe, expect, it } from 'vitest';
import { apiUrl } from './api';

describe('apiUrl', () => {
  it('resolves against the base URI, including a sub-path', () => {
    expect(apiUrl('api/updates', 'http://nas:8080/')).toBe('http://nas:8080/api/updates');
    expect(apiUrl('api/updates/7/events', 'https://home.example/diun/')).toBe('https://home.example/diun/api/updates/7/events');
  });

  it('refuses absolute paths, which would escape the sub-path', () => {
    expect(() => apiUrl('/api/updates', 'https://home.example/diun/')).toThrow();
  });
});
