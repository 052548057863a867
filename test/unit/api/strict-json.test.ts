import { describe, expect, it } from 'vitest';
import { parseStrictJson, StrictJsonError } from '../../../src/api/strict-json.ts';

describe('the strict JSON parse', () => {
  it('parses what JSON.parse parses when no key repeats', () => {
    const text = '{"a":1,"b":{"a":2,"c":[{"a":3},{"a":4}]},"s":"x\\"y,{"}';
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
  });

  it.each([
    ['{"userName":"a","userName":"b"}', 'userName'],
    ['{"contact":{"email":"a@b.c","email":"d@e.f"}}', 'contact.email'],
    ['{"tags":{"team":"x","t\\u0065am":"y"}}', 'tags.team'],
    ['{"list":[{"k":1},{"k":1,"k":2}]}', 'list.1.k'],
  ])('refuses a duplicate key in %s', (text, path) => {
    expect(() => parseStrictJson(text)).toThrow(StrictJsonError);
    expect(() => parseStrictJson(text)).toThrow(/appears twice/);
    try {
      parseStrictJson(text);
    } catch (error) {
      expect((error as StrictJsonError).path).toBe(path);
    }
  });

  it.each([
    '{"__proto__":{"isAdmin":true}}',
    '{"tags":{"\\u005f_proto__":"x"}}',
    '{"a":[{"constructor":{"prototype":{}}}]}',
    '{"prototype":1}',
  ])('refuses a prototype key in %s', (text) => {
    expect(() => parseStrictJson(text)).toThrow(/is not allowed/);
  });

  it('leaves the same words alone as values, and keeps syntax errors as SyntaxError', () => {
    expect(parseStrictJson('{"a":"__proto__","b":["constructor"]}')).toEqual({
      a: '__proto__',
      b: ['constructor'],
    });
    expect(() => parseStrictJson('{"a":')).toThrow(SyntaxError);
  });
});
