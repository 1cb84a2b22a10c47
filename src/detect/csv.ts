/**
 * RFC 4180-style field splitting for one CSV record (quotes may hold commas, `""` is a quote). With `limit`, only
 * the first `limit` fields are returned (the rest of the line is not looked at).
 */
export function splitCsv(line: string, limit = Infinity): string[] {
  if (!line.includes('"')) return limit === Infinity ? line.split(',') : line.split(',', limit);
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          value += line.slice(i);
          i = n;
          break;
        }
        value += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const comma = line.indexOf(',', i);
      out.push(comma < 0 ? value + line.slice(i) : value + line.slice(i, comma));
      if (comma < 0 || out.length >= limit) return out;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, comma));
      if (out.length >= limit) return out;
      i = comma + 1;
    }
  }
}

/** True when the record's quotes are balanced, i.e. it does not continue on the next line. */
export function isCsvRecordComplete(text: string): boolean {
  let count = 0;
  let i = text.indexOf('"');
  while (i >= 0) {
    count++;
    i = text.indexOf('"', i + 1);
  }
  return count % 2 === 0;
}
