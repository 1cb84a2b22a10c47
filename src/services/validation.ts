/** Validation as the node applies it: the STIX validator, with `stix` patterns checked by the pattern engine. */
import { checkPattern } from '../core/pattern/index.js';
import type { ValidateOptions } from '../core/stix/index.js';

export function nodeValidateOptions(): ValidateOptions {
  return {
    checkPattern: (pattern, patternType) => {
      if (patternType !== 'stix') return undefined;
      const r = checkPattern(pattern);
      return r.ok ? undefined : `${r.error.message} (line ${r.error.line}, column ${r.error.column})`;
    },
  };
}
