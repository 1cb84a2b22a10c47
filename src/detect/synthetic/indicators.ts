/**
 * Synthetic indicator sets for tests and benchmarks: the campaign's own observables (which the generator plants,
 * so every one must be sighted) plus random filler of realistic kinds up to any count. Each indicator also carries
 * its literal, the string `grep -F` would search for.
 */
import { CAMPAIGN } from './generate.js';
import { Prng } from './prng.js';

export interface SyntheticIndicator {
  readonly id: string;
  readonly pattern: string;
  readonly literal: string;
  /** The generator's observable key (`ipv4-addr:…`) this indicator matches, for campaign indicators. */
  readonly observable?: string;
}

const q = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const UA_PATH = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'";

export function observablePattern(observable: string): string {
  const colon = observable.indexOf(':');
  const kind = observable.slice(0, colon);
  const value = observable.slice(colon + 1);
  switch (kind) {
    case 'ipv4-addr':
      return `[ipv4-addr:value = ${q(value)}]`;
    case 'user-agent':
      return `[${UA_PATH} = ${q(value)}]`;
    case 'sha256':
      return `[file:hashes.'SHA-256' = ${q(value)}]`;
    case 'file': {
      const cut = value.lastIndexOf('\\');
      return `[file:name = ${q(value.slice(cut + 1))} AND file:parent_directory_ref.path = ${q(value.slice(0, cut))}]`;
    }
    default:
      throw new Error(`unknown observable kind '${kind}'`);
  }
}

/** One indicator per distinct observable the generator plants. */
export function campaignIndicators(observables: Iterable<string>, seed = 7): SyntheticIndicator[] {
  const rng = new Prng(seed);
  const out: SyntheticIndicator[] = [];
  for (const o of new Set(observables)) {
    out.push({
      id: `indicator--${rng.guid()}`,
      pattern: observablePattern(o),
      literal: o.slice(o.indexOf(':') + 1),
      observable: o,
    });
  }
  return out;
}

/** `count` indicators: the campaign's IPs, user agents and hashes first, then random filler. */
export function syntheticIndicators(count: number, seed = 11): SyntheticIndicator[] {
  // Offset the seed so the filler never replays the log generator's random sequence for the same seed.
  const rng = new Prng((seed ^ 0x1d1c4) * 2654435761);
  const out: SyntheticIndicator[] = [];
  const campaign = [
    ...CAMPAIGN.ips.map((ip) => `ipv4-addr:${ip}`),
    ...CAMPAIGN.userAgents.map((ua) => `user-agent:${ua}`),
    ...CAMPAIGN.webshellSha256.map((h) => `sha256:${h}`),
  ];
  for (const c of campaign.slice(0, count)) out.push(...campaignIndicators([c], rng.int(1 << 30)));
  const tlds = ['top', 'xyz', 'info', 'net', 'com', 'ru', 'cn'];
  while (out.length < count) {
    const roll = rng.next();
    let pattern: string;
    let literal: string;
    if (roll < 0.4) {
      literal = `${1 + rng.int(222)}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`;
      pattern = `[ipv4-addr:value = ${q(literal)}]`;
    } else if (roll < 0.65) {
      literal = `${rng.hex(6 + rng.int(8))}.${rng.pick(tlds)}`;
      pattern = `[domain-name:value = ${q(literal)}]`;
    } else if (roll < 0.8) {
      literal = rng.hex(64);
      pattern = `[file:hashes.'SHA-256' = ${q(literal)}]`;
    } else if (roll < 0.9) {
      literal = `https://${rng.hex(8)}.${rng.pick(tlds)}/${rng.hex(6)}/${rng.hex(4)}.php`;
      pattern = `[url:value = ${q(literal)}]`;
    } else if (roll < 0.95) {
      literal = `Mozilla/5.0 (compatible; ${rng.hex(6)}bot/${rng.int(9)}.${rng.int(9)})`;
      pattern = `[${UA_PATH} = ${q(literal)}]`;
    } else {
      literal = `${rng.hex(10)}.aspx`;
      pattern = `[file:name = ${q(literal)}]`;
    }
    out.push({ id: `indicator--${rng.guid()}`, pattern, literal });
  }
  return out;
}

/** A STIX 2.1 bundle holding the indicators, for `entente scan --indicators`. */
export function indicatorBundle(
  indicators: readonly SyntheticIndicator[],
  created = '2021-03-10T00:00:00.000Z',
): object {
  return {
    type: 'bundle',
    id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
    objects: indicators.map((i) => ({
      type: 'indicator',
      spec_version: '2.1',
      id: i.id,
      created,
      modified: created,
      pattern: i.pattern,
      pattern_type: 'stix',
      valid_from: created,
    })),
  };
}
