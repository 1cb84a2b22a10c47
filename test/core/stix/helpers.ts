import type { Problem } from '../../../src/core/errors.js';

export const errors = (ps: readonly Problem[]): Problem[] => ps.filter((p) => p.severity === 'error');
export const warnings = (ps: readonly Problem[]): Problem[] => ps.filter((p) => p.severity === 'warning');
/** `rule@path` of every error, for compact assertions. */
export const errorKeys = (ps: readonly Problem[]): string[] => errors(ps).map((p) => `${p.rule}@${p.path}`);
export const warningKeys = (ps: readonly Problem[]): string[] =>
  warnings(ps).map((p) => `${p.rule}@${p.path}`);
