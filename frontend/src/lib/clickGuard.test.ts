import { describe, expect, it } from 'vitest';
import { createClickGuard } from './clickGuard';

describe('createClickGuard', () => {
  it('ignores a second click at the same spot within the interval, allows one after it', () => {
    let t = 1000;
    const guard = createClickGuard(600, () => t);
    expect(guard.allow({ x: 100, y: 200 })).toBe(true);
    t += 150;
    expect(guard.allow({ x: 102, y: 201 })).toBe(false);
    t += 600;
    expect(guard.allow({ x: 100, y: 200 })).toBe(true);
  });

  it('lets a click elsewhere through: it is deliberate', () => {
    let t = 0;
    const guard = createClickGuard(600, () => t);
    expect(guard.allow({ x: 100, y: 200 })).toBe(true);
    t += 200;
    expect(guard.allow({ x: 100, y: 400 })).toBe(true);
  });

  it('never holds back the keyboard', () => {
    let t = 0;
    const guard = createClickGuard(600, () => t);
    expect(guard.allow({ x: 1, y: 1 })).toBe(true);
    t += 10;
    expect(guard.allow(null)).toBe(true);
    t += 10;
    expect(guard.allow(null)).toBe(true);
  });
});
