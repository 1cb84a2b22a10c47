/**
 * Duplicate member names in a JSON object (`{"a":1,"a":2}`): RFC 8259 leaves their meaning open, I-JSON (RFC 7493
 * §2.3) forbids them, and parsers disagree (JavaScript keeps the last, others the first). Stored as sent, such an
 * object would mean one thing to Entente's access decision and another to a consumer of the same bytes (two
 * `object_marking_refs`, one TLP:RED, one TLP:CLEAR). So they are found and refused.
 *
 * `JSON.parse` merges duplicates silently, so the text is consulted. A quick count settles nearly every object: in
 * a text without an escaped quote, each `":` ends exactly one member name, so if their number equals the number of
 * members the parse produced, no name was repeated. Otherwise (escaped quotes, space before a colon, or indeed a
 * duplicate) an exact scan of the text decides. Pure.
 */

/** The number of members in every object of a parsed JSON value (recursing only into objects and arrays). */
function membersIn(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'object' && x !== null) n += membersIn(x);
    }
    return n;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    n++;
    const x = o[k];
    if (typeof x === 'object' && x !== null) n += membersIn(x);
  }
  return n;
}

function occurrences(text: string, what: string): number {
  let n = 0;
  for (let i = text.indexOf(what); i !== -1; i = text.indexOf(what, i + what.length)) n++;
  return n;
}

/**
 * The JSON path of the first repeated member name in `text` (whose parse is `value`), or undefined when there is
 * none. `text` must be valid JSON. `names`, when known, is how many member names the text has (the bundle scanner
 * counts them as it splits a bundle): then one count of the parse settles it.
 */
export function duplicateMember(text: string, value: unknown, names?: number): string | undefined {
  if (names !== undefined) return names === membersIn(value) ? undefined : scanForDuplicate(text);
  if (!text.includes('\\"') && occurrences(text, '":') === membersIn(value)) return undefined;
  return scanForDuplicate(text);
}

const WS = new Set([' ', '\t', '\n', '\r']);

/** The exact scan: member names per open object, with their paths. */
function scanForDuplicate(text: string): string | undefined {
  // One frame per open container: an object's names seen so far, or an array's next index.
  const frames: { names: Set<string> | undefined; index: number; path: string }[] = [];
  let pendingName: string | undefined; // the name whose value comes next
  const childPath = (): string => {
    const top = frames.at(-1);
    if (top === undefined) return '$';
    if (top.names === undefined) return `${top.path}[${top.index}]`;
    return `${top.path}.${pendingName ?? ''}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      // The string's end: the next quote not escaped by an odd run of backslashes.
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return undefined; // not JSON: nothing to say here
        let k = q - 1;
        while (text[k] === '\\') k--;
        if ((q - 1 - k) % 2 === 0) {
          j = q;
          break;
        }
        j = q + 1;
      }
      const top = frames.at(-1);
      let k = j + 1;
      while (k < text.length && WS.has(text[k]!)) k++;
      if (top?.names !== undefined && text[k] === ':') {
        const name = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.names.has(name)) return `${top.path}.${name}`;
        top.names.add(name);
        pendingName = name;
      }
      i = j;
      continue;
    }
    if (c === '{' || c === '[') {
      const path = childPath();
      frames.push({ names: c === '{' ? new Set() : undefined, index: 0, path });
    } else if (c === '}' || c === ']') {
      frames.pop();
    } else if (c === ',') {
      const top = frames.at(-1);
      if (top !== undefined && top.names === undefined) top.index++;
    }
  }
  return undefined;
}
