import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BundleScanner, ScanError, type ScanEvent } from '../../../src/core/json/bundle-scanner.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function scan(text: string, chunkSize = Infinity, limits = {}): ScanEvent[] {
  const s = new BundleScanner(limits);
  const bytes = enc.encode(text);
  const events: ScanEvent[] = [];
  const step = Number.isFinite(chunkSize) ? chunkSize : bytes.length || 1;
  for (let i = 0; i < bytes.length; i += step) events.push(...s.push(bytes.subarray(i, i + step)));
  events.push(...s.end());
  return events;
}

const objectsOf = (events: ScanEvent[]) =>
  events.flatMap((e) => (e.kind === 'object' ? [JSON.parse(dec.decode(e.bytes)) as unknown] : []));

describe('bundle scanner', () => {
  it('splits a bundle into its objects, keeping each one byte for byte', () => {
    const text = '{"type":"bundle","id":"bundle--1","objects":[ {"a":"x\\"}"} ,{"b":[1,{"c":"]"}]}\n]}';
    const events = scan(text);
    expect(events.filter((e) => e.kind === 'header')).toEqual([
      { kind: 'header', key: 'type', value: 'bundle' },
      { kind: 'header', key: 'id', value: 'bundle--1' },
    ]);
    const objs = events.filter((e) => e.kind === 'object');
    expect(objs.map((e) => (e.kind === 'object' ? dec.decode(e.bytes) : ''))).toEqual([
      '{"a":"x\\"}"}',
      '{"b":[1,{"c":"]"}]}',
    ]);
  });

  it('gives the same objects whatever the chunk boundaries (property)', () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string(), json), { maxLength: 6 }),
        fc.integer({ min: 1, max: 17 }),
        fc.boolean(),
        (objects, chunk, pretty) => {
          const text = JSON.stringify({ type: 'bundle', objects, more: false }, null, pretty ? 2 : 0);
          const events = scan(text, chunk);
          expect(objectsOf(events)).toEqual(JSON.parse(JSON.stringify(objects)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('handles escaped backslashes split across chunks', () => {
    const objects = [{ p: 'C:\\\\inetpub\\\\', q: '\\"' }, { r: '\\\\\\' }];
    const text = JSON.stringify({ objects });
    for (let chunk = 1; chunk < 8; chunk++) expect(objectsOf(scan(text, chunk))).toEqual(objects);
  });

  it('rejects an object nested too deep without parsing it, and goes on', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const events = scan(`{"objects":[{"x":${deep}},{"ok":true}]}`, 65536);
    expect(events[0]).toMatchObject({ kind: 'rejected', rule: 'too-deep', index: 0 });
    expect(objectsOf(events)).toEqual([{ ok: true }]);
  });

  it('rejects an object over the size limit and goes on', () => {
    const events = scan(`{"objects":[{"x":"${'a'.repeat(5000)}"},{"ok":1}]}`, 100, { maxObjectBytes: 1000 });
    expect(events[0]).toMatchObject({ kind: 'rejected', rule: 'too-large' });
    expect(objectsOf(events)).toEqual([{ ok: 1 }]);
  });

  it('reports elements that are not objects', () => {
    const events = scan('{"objects":[1,"s",[2],{"ok":1}]}');
    expect(events.filter((e) => e.kind === 'rejected').map((e) => e.kind === 'rejected' && e.rule)).toEqual([
      'not-an-object',
      'not-an-object',
      'not-an-object',
    ]);
    expect(objectsOf(events)).toEqual([{ ok: 1 }]);
  });

  it.each([
    ['', 'empty input'],
    ['[]', 'expected a JSON object'],
    ['{"objects":[{"a":1}', 'truncated'],
    ['{"objects":[{"a":1}]', 'truncated'],
    ['{"objects":[{"a":1} {"b":2}]}', "expected ',' or ']'"],
    ['{"objects":[{"a":1}]} x', 'after the end'],
    ['{"objects":{}}', 'must be an array'],
    ['{"a" 1}', "expected ':'"],
    ['{"objects":[],"objects":[]}', 'duplicate'],
    ['[[[[[[', 'expected a JSON object'],
  ])('fails clearly on broken structure: %s', (text, message) => {
    expect(() => scan(text)).toThrow(ScanError);
    expect(() => scan(text)).toThrow(message);
  });

  it('hands out the objects a chunk completed before a structural break in it (they are whole)', () => {
    const s = new BundleScanner();
    try {
      s.push(enc.encode('{"type":"bundle","objects":[{"a":1},{"b":2} {"c":3}]}'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ScanError);
      expect(objectsOf((err as ScanError).completed)).toEqual([{ a: 1 }, { b: 2 }]);
    }
  });

  it('gives up on the document when an over-large element goes on past 64 times the limit (endless input)', () => {
    const s = new BundleScanner({ maxObjectBytes: 100 });
    s.push(enc.encode('{"objects":[{"a":"'));
    const filler = enc.encode('x'.repeat(1000));
    expect(() => {
      for (let i = 0; i < 10; i++) s.push(filler);
    }).toThrow(/over 6400 bytes .*giving up/);
  });

  it('names an element refused for its size or depth by the id its first bytes show', () => {
    const id = 'indicator--00000000-0000-4000-8000-000000000001';
    const big = `{"type":"indicator","id":"${id}","description":"${'x'.repeat(5000)}"}`;
    const deep = `{"id":"${id}","a":${'['.repeat(80)}${']'.repeat(80)}}`;
    const rejected = scan(
      `{"objects":[${big},${deep},{"type":"x","description":"${'y'.repeat(5000)}"}]}`,
      512,
      {
        maxObjectBytes: 1000,
      },
    ).filter((e) => e.kind === 'rejected');
    expect(rejected.map((e) => (e.kind === 'rejected' ? [e.rule, e.objectId] : []))).toEqual([
      ['too-large', id],
      ['too-deep', id],
      ['too-large', undefined],
    ]);
  });

  it('ignores a UTF-8 byte order mark before the document', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('{"objects":[{"a":1}]}')]);
    const s = new BundleScanner();
    expect(objectsOf([...s.push(bytes), ...s.end()])).toEqual([{ a: 1 }]);
  });

  it('reports the byte offset of a structural error', () => {
    try {
      scan('{"objects":[{"a":1} x]}');
      expect.unreachable();
    } catch (err) {
      expect((err as ScanError).offset).toBe(20);
    }
  });
});
