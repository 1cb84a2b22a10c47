/**
 * Bounds on the work done for one object, so hostile input (deep nesting, huge strings or lists) yields a
 * `too-large` problem instead of exhausting the stack or the CPU. Generous for real intelligence: the ATT&CK
 * bundle nests at most 6 deep and its longest string is under 20 kB.
 */
export const MAX_DEPTH = 64;
/** Longest string accepted anywhere in an object (UTF-16 code units): 16 MiB, enough for a base64 payload. */
export const MAX_STRING_LENGTH = 16 * 1024 * 1024;
/** Longest list, and most members in one JSON object. */
export const MAX_ARRAY_LENGTH = 100_000;
export const MAX_OBJECT_KEYS = 10_000;
/** Longest property name (spec names are ≤ 250; the margin is for dictionaries of foreign data). */
export const MAX_KEY_LENGTH = 1024;
/** Most problems reported for one object; past it one `too-many-problems` error says the rest were dropped. */
export const MAX_PROBLEMS_PER_OBJECT = 200;
