/**
 * JSON.parse, stricter: a key repeated in one object (JSON.parse keeps the last, so a reviewer and the
 * code can read different values) and the keys `__proto__`, `constructor` and `prototype` (prototype
 * pollution in whatever merges the body later) are refused anywhere in the document. secure-json-parse
 * covers the second but not the first; this scanner covers both, after JSON.parse has proved the syntax.
 */

export class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError' as const;
  constructor(
    message: string,
    /** Where, as a dotted path (`contact.callbackUrl`, `tags`), `(body)` for the top level. */
    readonly path: string,
  ) {
    super(message);
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses `text`; throws SyntaxError for invalid JSON, StrictJsonError for a duplicate or forbidden key. */
export function parseStrictJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  checkKeys(text);
  return value;
}

interface Frame {
  kind: 'object' | 'array';
  keys: Set<string>;
  path: string;
  /** The next string in an object is a key. */
  expectKey: boolean;
  lastKey?: string;
  index: number;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function checkKeys(text: string): void {
  const stack: Frame[] = [];
  const pathOfValue = (): string => {
    const top = stack.at(-1);
    if (!top) return '';
    return top.kind === 'object' ? join(top.path, top.lastKey ?? '') : join(top.path, String(top.index));
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (top?.kind === 'object' && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const where = join(top.path, key);
        if (FORBIDDEN_KEYS.has(key)) {
          throw new StrictJsonError(`the key "${key}" is not allowed (at ${where}); remove it`, where);
        }
        if (top.keys.has(key)) {
          throw new StrictJsonError(
            `the key "${key}" appears twice in one object (at ${where}); send it once`,
            where,
          );
        }
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      stack.push({
        kind: c === '{' ? 'object' : 'array',
        keys: new Set(),
        path: pathOfValue(),
        expectKey: c === '{',
        index: 0,
      });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.kind === 'object') top.expectKey = true;
      else if (top) top.index++;
    }
  }
}
