/**
 * Mute-rule patterns, as the server reads them (diun-core `MutePattern`): a
 * glob on the whole image reference. `*` matches within one path segment (not
 * `/`), `**` across segments, `?` one character (not `/`), `[abc]`, `[a-z]`
 * and `[!abc]` one character of (or not of) a set. The dashboard uses it to
 * check a pattern as it is typed, to say whether it catches the update it was
 * made from, and to hide matching rows at once while the server applies the
 * rule (the server's answer decides).
 */
import type { UpdateStatus } from './types';

export const MAX_PATTERN_CHARS = 255;

type Token = { kind: 'literal'; c: string } | { kind: 'any' } | { kind: 'segment' } | { kind: 'anything' } | { kind: 'class'; negated: boolean; ranges: Array<[string, string]> };

/** A checked pattern: `test(image)` says whether it matches the whole reference. */
export interface Pattern {
  text: string;
  test: (image: string) => boolean;
}

export type ParsedPattern = { ok: true; pattern: Pattern } | { ok: false; error: string };

// A port of diun-core's MutePattern::parse and matches, so the form refuses what the server refuses.
export function parsePattern(raw: string): ParsedPattern {
  const text = raw.trim();
  if (text === '') return { ok: false, error: 'Enter a pattern, e.g. docker.io/library/nginx:*' };
  const chars = [...text];
  if (chars.length > MAX_PATTERN_CHARS) return { ok: false, error: `Use at most ${MAX_PATTERN_CHARS} characters (this one has ${chars.length}).` };
  if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) return { ok: false, error: 'The pattern cannot contain control characters.' };
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '*') {
      if (chars[i + 1] === '*') {
        while (chars[i + 1] === '*') i++;
        tokens.push({ kind: 'anything' });
      } else tokens.push({ kind: 'segment' });
    } else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '[') {
      let j = i + 1;
      const negated = chars[j] === '!' || chars[j] === '^';
      if (negated) j++;
      const ranges: Array<[string, string]> = [];
      let closed = false;
      // A "]" first in the set is a member, as in shell globs.
      let first = true;
      for (; j < chars.length; j++) {
        const m = chars[j];
        if (m === ']' && !first) {
          closed = true;
          break;
        }
        first = false;
        if (chars[j + 1] === '-' && j + 2 < chars.length && chars[j + 2] !== ']') {
          const end = chars[j + 2];
          if (end < m) return { ok: false, error: `The range “${m}-${end}” is backwards.` };
          ranges.push([m, end]);
          j += 2;
        } else ranges.push([m, m]);
      }
      if (!closed) return { ok: false, error: 'A “[” set is never closed with “]”.' };
      tokens.push({ kind: 'class', negated, ranges });
      i = j;
    } else if (c === ']') return { ok: false, error: 'A “]” closes a set that was never opened with “[”.' };
    else tokens.push({ kind: 'literal', c });
  }
  return { ok: true, pattern: { text, test: (image) => matchTokens(tokens, [...image]) } };
}

function single(t: Token, c: string): boolean {
  if (t.kind === 'literal') return t.c === c;
  if (t.kind === 'any') return c !== '/';
  if (t.kind === 'class') return t.ranges.some(([a, b]) => a <= c && c <= b) !== t.negated && c !== '/';
  return false;
}

/** reachable[i]: the tokens so far can consume exactly text[..i] (quadratic at worst, never exponential). */
function matchTokens(tokens: readonly Token[], text: readonly string[]): boolean {
  let reachable = new Array<boolean>(text.length + 1).fill(false);
  reachable[0] = true;
  for (const t of tokens) {
    const next = new Array<boolean>(text.length + 1).fill(false);
    if (t.kind === 'segment' || t.kind === 'anything') {
      let open = false;
      for (let i = 0; i <= text.length; i++) {
        open ||= reachable[i];
        next[i] = open;
        if (i < text.length && text[i] === '/' && t.kind === 'segment') open = false;
      }
    } else {
      for (let i = 0; i < text.length; i++) next[i + 1] = reachable[i] && single(t, text[i]);
    }
    reachable = next;
  }
  return reachable[text.length];
}

export interface RuleLike {
  pattern: string;
  hostname?: string | null;
  status?: UpdateStatus | null;
}

/** Whether a rule catches an update (image, host, status); false for an invalid pattern. */
export function ruleMatches(rule: RuleLike, u: { image: string; hostname: string; status: UpdateStatus }): boolean {
  if (rule.hostname && rule.hostname !== u.hostname) return false;
  if (rule.status && rule.status !== u.status) return false;
  const p = parsePattern(rule.pattern);
  return p.ok && p.pattern.test(u.image);
}

/**
 * Patterns offered for an image, narrowest first: this exact reference, any
 * tag of its repository, everything under its registry path.
 */
export function suggestedPatterns(image: string): Array<{ label: string; pattern: string }> {
  const out: Array<{ label: string; pattern: string }> = [{ label: 'This tag', pattern: image }];
  // Strip a digest, then the tag (a ":" after the last "/").
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const repo = colon > slash ? noDigest.slice(0, colon) : noDigest;
  out.push({ label: 'Any tag', pattern: `${repo}:*` });
  if (slash > 0) out.push({ label: 'Whole namespace', pattern: `${noDigest.slice(0, slash)}/**` });
  return out.filter((s, i) => out.findIndex((o) => o.pattern === s.pattern) === i);
}
