/** Opens a CLI input: a file path or `-` for stdin, as a stream of chunks, with its size when known. */
import { createReadStream, statSync } from 'node:fs';
import { EntenteError } from '../core/errors.js';

export function openInput(file: string): {
  stream: AsyncIterable<Uint8Array>;
  size: number | undefined;
  name: string;
} {
  if (file === '-') return { stream: process.stdin, size: undefined, name: 'stdin' };
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new EntenteError('INVALID', `${file} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof EntenteError) throw err;
    throw new EntenteError(
      'NOT_FOUND',
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  return { stream: createReadStream(file, { highWaterMark: 1024 * 1024 }), size, name: file };
}
