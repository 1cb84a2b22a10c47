import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BundleScanner } from '../../../src/core/json/bundle-scanner.js';
import { duplicateMember } from '../../../src/core/json/duplicate-keys.js';

const check = (text: string, names?: number) => duplicateMember(text, JSON.parse(text), names);

/** The scanner's member-name count for one object, as it splits a bundle holding it. */
function counted(objectText: string): number | undefined {
  const s = new BundleScanner();
  const events = [...s.push(new TextEncoder().encode(`{"objects":[${objectText}]}`)), ...s.end()];
  const e = events.find((x) => x.kind === 'object');
  return e?.kind === 'object' ? e.members : undefined;
}

describe('duplicate member names', () => {
  it.each([
    ['{"a":1,"a":2}', '$.a'],
    ['{"a":1,"b":{"c":1,"c":2}}', '$.b.c'],
    ['{"a":[{"x":1},{"x":1,"x":2}]}', '$.a[1].x'],
    ['{"a" : 1, "a" : 2}', '$.a'],
    ['{"q":"say \\"hi\\":","q":1}', '$.q'],
    ['{"object_marking_refs":["m1"],"name":"n","object_marking_refs":["m2"]}', '$.object_marking_refs'],
  ])('finds %s at %s, with and without the scanner count', (text, path) => {
    expect(check(text)).toBe(path);
    expect(check(text, counted(text))).toBe(path);
  });

  it.each([
    '{"a":1,"b":{"a":1},"c":[{"a":1},{"a":2}]}',
    '{"s":"\\":\\":\\"","t":"a\\\\","u":"x"}',
    '{"a" : {"b" :1}}',
    '{"":1,"x":{"":2}}',
  ])('finds none in %s', (text) => {
    expect(check(text)).toBeUndefined();
    expect(check(text, counted(text))).toBeUndefined();
  });

  it('agrees with a reference on generated objects (property)', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'q"', 'd\\', ':');
    const leaf = fc.oneof(fc.integer(), fc.string(), fc.constant('":'), fc.constant('\\"'));
    // Objects written by hand so that names may repeat: [name, value] lists.
    const obj: fc.Arbitrary<string> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf.map((x) => JSON.stringify(x)),
        tie('object'),
        tie('array'),
      ),
      object: fc
        .array(fc.tuple(key, tie('value') as fc.Arbitrary<string>), { maxLength: 4 })
        .map((ms) => `{${ms.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
      array: fc
        .array(tie('value') as fc.Arbitrary<string>, { maxLength: 3 })
        .map((xs) => `[${xs.join(',')}]`),
    })).object;
    fc.assert(
      fc.property(obj, (text) => {
        const hasDuplicate = referenceHasDuplicate(JSON.parse(text) as unknown, text);
        expect(check(text) !== undefined).toBe(hasDuplicate);
        expect(check(text, counted(text)) !== undefined).toBe(hasDuplicate);
      }),
      { numRuns: 300 },
    );
  });
});

/** Reference: re-tokenise with a reviver-free walk over the text (slow and simple). */
function referenceHasDuplicate(_value: unknown, text: string): boolean {
  let i = 0;
  const ws = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  let dup = false;
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const names = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const k = str();
        if (names.has(k)) dup = true;
        names.add(k);
        ws();
        i++; // :
        value();
        ws();
        if (text[i++] === '}') return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i++] === ']') return;
      }
    } else if (c === '"') str();
    else while (!/[,\]}\s]/.test(text[i] ?? ',')) i++;
  };
  value();
  return dup;
}
