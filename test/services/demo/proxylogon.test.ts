import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { isEntenteError } from '../../../src/core/errors.js';
import { TLP2_MARKINGS, uuidv5, validateBundle } from '../../../src/core/stix/index.js';
import { checkPattern, matchPattern, type Observation } from '../../../src/core/pattern/index.js';
import {
  attackObjectIds,
  loadProxyLogonInputs,
  parseChirpIps,
  parseCsv,
  readAttackBundle,
} from '../../../src/services/demo/load-proxylogon.js';
import {
  buildProxyLogonDemo,
  buildProxyLogonDemoWithReport,
  decodeIisUserAgent,
  DEMO_NAMESPACE,
  serializeBundle,
  splitWindowsPath,
  stixString,
  TLP_CLEAR_ID,
  type ProxyLogonBuild,
  type ProxyLogonInputs,
  type StixObject,
} from '../../../src/services/demo/proxylogon.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const sharedDir = resolve(repoRoot, '../shared');
const demoFile = join(repoRoot, 'demo/proxylogon.json');

const HAFNIUM = 'intrusion-set--2688b13e-8e71-405a-9c40-0dee94bddf87';
const LEVIATHAN = 'intrusion-set--7113eaa5-ba79-4fb3-b68a-398ee9cd698e';
const ZIRCONIUM = 'intrusion-set--4283ae19-69c7-4347-a35e-b56f08eb660b';

let inputs: ProxyLogonInputs;
let build: ProxyLogonBuild;
let objects: readonly StixObject[];
let byId: Map<string, StixObject>;
let attackIds: Set<string>;

beforeAll(async () => {
  const attack = await readAttackBundle(sharedDir);
  attackIds = attackObjectIds(attack);
  inputs = await loadProxyLogonInputs(sharedDir, attack);
  build = buildProxyLogonDemoWithReport(inputs);
  objects = build.bundle.objects;
  byId = new Map(objects.map((o) => [o.id, o]));
});

const ofType = (type: string): StixObject[] => objects.filter((o) => o.type === type);
const typeOf = (id: string): string => id.slice(0, id.indexOf('--'));
const relationships = (): StixObject[] => ofType('relationship');

/** An independent reading of STIX pattern string literals: `'…'` with `\\` and `\'` as the only escapes. */
const literals = (pattern: string): string[] =>
  [...pattern.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));

describe('demo bundle is deterministic', () => {
  it('building twice from the same sources gives identical bytes', () => {
    expect(serializeBundle(buildProxyLogonDemo(inputs))).toBe(serializeBundle(build.bundle));
  });

  it('demo/proxylogon.json in the tree is exactly what the builder produces now', async () => {
    expect(await readFile(demoFile, 'utf8')).toBe(serializeBundle(build.bundle));
  });

  it('the script regenerates the identical file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entente-demo-'));
    try {
      const out = join(dir, 'proxylogon.json');
      await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'scripts/build-demo-bundle.ts', '--shared', sharedDir, '--out', out],
        { cwd: repoRoot },
      );
      expect(await readFile(out, 'utf8')).toBe(await readFile(demoFile, 'utf8'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ids are UUIDv5 over stable names, so they survive regeneration', () => {
    const cve = ofType('vulnerability').find((v) => v.name === 'CVE-2021-26855')!;
    expect(cve.id).toBe(`vulnerability--${uuidv5(DEMO_NAMESPACE, 'vulnerability:CVE-2021-26855')}`);
    const indicator = ofType('indicator')[0]!;
    expect(indicator.id).toBe(
      `indicator--${uuidv5(DEMO_NAMESPACE, `indicator:${indicator.pattern as string}`)}`,
    );
  });
});

describe('every object is well-formed STIX 2.1', () => {
  const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const REQUIRED: Record<string, readonly string[]> = {
    'marking-definition': ['created'],
    identity: ['created', 'modified', 'name'],
    vulnerability: ['created', 'modified', 'name'],
    campaign: ['created', 'modified', 'name'],
    'course-of-action': ['created', 'modified', 'name'],
    indicator: ['created', 'modified', 'pattern', 'pattern_type', 'valid_from'],
    report: ['created', 'modified', 'name', 'published', 'object_refs'],
    note: ['created', 'modified', 'content', 'object_refs'],
    relationship: ['created', 'modified', 'relationship_type', 'source_ref', 'target_ref'],
  };

  it('the bundle has a bundle id and only objects of the expected types', () => {
    expect(build.bundle.type).toBe('bundle');
    expect(build.bundle.id).toMatch(/^bundle--/);
    for (const o of objects) expect(Object.keys(REQUIRED)).toContain(o.type);
  });

  it('every object has type, spec_version 2.1, id and its type-specific required properties', () => {
    for (const o of objects) {
      expect(o.spec_version, o.id).toBe('2.1');
      for (const p of REQUIRED[o.type] ?? []) expect(o, `${o.id} ${p}`).toHaveProperty(p);
    }
  });

  it('every id is a type--uuid whose type matches and is unique', () => {
    const seen = new Set<string>();
    for (const o of [...objects, build.bundle]) {
      const [type, uuid] = o.id.split('--');
      expect(type, o.id).toBe(o.type);
      expect(uuid, o.id).toMatch(UUID);
      expect(seen.has(o.id), o.id).toBe(false);
      seen.add(o.id);
    }
  });

  it('timestamps are UTC with millisecond precision and modified >= created', () => {
    for (const o of objects) {
      for (const p of ['created', 'modified', 'valid_from', 'published', 'first_seen']) {
        if (p in o) expect(o[p], `${o.id} ${p}`).toMatch(TIMESTAMP);
      }
      if ('modified' in o) expect((o.modified as string) >= (o.created as string), o.id).toBe(true);
    }
  });

  it('every object but the marking definition is TLP:CLEAR and created by the demo identity', () => {
    const identity = ofType('identity')[0]!;
    expect(identity.name).toBe('Entente demo data');
    for (const o of objects) {
      if (o.type === 'marking-definition') continue;
      expect(o.object_marking_refs, o.id).toEqual([TLP_CLEAR_ID]);
      expect(o.created_by_ref, o.id).toBe(identity.id);
    }
    expect(byId.get(TLP_CLEAR_ID)?.name).toBe('TLP:CLEAR');
  });

  it('every _ref and _refs resolves to an object in the bundle or in ATT&CK', () => {
    const unresolved: string[] = [];
    const walk = (value: unknown, key: string, owner: string): void => {
      if (Array.isArray(value)) {
        for (const v of value) walk(v, key, owner);
        return;
      }
      if (typeof value === 'object' && value !== null) {
        for (const [k, v] of Object.entries(value)) walk(v, k, owner);
        return;
      }
      if ((key.endsWith('_ref') || key.endsWith('_refs')) && typeof value === 'string') {
        if (!byId.has(value) && !attackIds.has(value)) unresolved.push(`${owner} ${key} ${value}`);
      }
    };
    for (const o of objects) walk(o, '', o.id);
    expect(unresolved).toEqual([]);
  });

  it('relationships use source and target types the spec allows for their type', () => {
    const allowed: Record<string, readonly [readonly string[], readonly string[]]> = {
      indicates: [['indicator'], ['campaign', 'intrusion-set']],
      targets: [['campaign', 'intrusion-set'], ['vulnerability']],
      mitigates: [['course-of-action'], ['vulnerability']],
      'attributed-to': [['campaign'], ['intrusion-set']],
    };
    for (const r of relationships()) {
      const rule = allowed[r.relationship_type as string];
      expect(rule, r.id).toBeDefined();
      expect(rule![0]).toContain(typeOf(r.source_ref as string));
      expect(rule![1]).toContain(typeOf(r.target_ref as string));
    }
  });
});

describe('content follows the sources', () => {
  it('the four ProxyLogon CVEs are vulnerabilities with cve external references', () => {
    const cves = ofType('vulnerability').map((v) => v.name);
    expect(cves.sort()).toEqual(['CVE-2021-26855', 'CVE-2021-26857', 'CVE-2021-26858', 'CVE-2021-27065']);
    for (const v of ofType('vulnerability')) {
      expect(v.external_references).toContainEqual(
        expect.objectContaining({ source_name: 'cve', external_id: v.name }),
      );
      expect(v.created).toBe('2021-03-02T00:00:00.000Z');
    }
  });

  it('the ATT&CK intrusion sets are referenced, never copied', () => {
    expect(ofType('intrusion-set')).toEqual([]);
    for (const id of [HAFNIUM, LEVIATHAN, ZIRCONIUM]) expect(attackIds.has(id)).toBe(true);
    const note = ofType('note')[0]!;
    expect(note.object_refs).toEqual(expect.arrayContaining([HAFNIUM, LEVIATHAN, ZIRCONIUM]));
  });

  it('repeated indicators are merged: one indicator per pattern, 147 from the MSTIC feed', () => {
    const patterns = ofType('indicator').map((i) => i.pattern as string);
    expect(new Set(patterns).size).toBe(patterns.length);
    const distinctMstic = new Set(inputs.mstic.map((r) => r.indicator));
    expect(distinctMstic.size).toBe(147);
    const fromMstic = ofType('indicator').filter((i) =>
      (i.external_references as { source_name: string }[]).some(
        (r) => r.source_name === 'Microsoft MSTIC Exchange IOC feed',
      ),
    );
    expect(fromMstic).toHaveLength(147);
  });

  it('every MSTIC file path round-trips through the pattern escaping to the original Windows path', () => {
    const filePatterns = ofType('indicator')
      .map((i) => i.pattern as string)
      .filter((p) => p.startsWith('[file:name'));
    const decoded = new Set(
      filePatterns.map((p) => {
        const [name, directory] = literals(p);
        return `${directory}\\${name}`;
      }),
    );
    const paths = inputs.mstic.filter((r) => r.indicatorType === 'filepath').map((r) => r.indicator);
    expect(decoded).toEqual(new Set(paths));
    expect(decoded.has('C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\log.aspx')).toBe(true);
  });

  it('the file-path pattern is escaped twice: once for the pattern grammar, once for JSON', async () => {
    const text = await readFile(demoFile, 'utf8');
    expect(text).toContain(
      String.raw`"pattern": "[file:name = 'shell.aspx' AND file:parent_directory_ref.path = 'C:\\\\inetpub\\\\wwwroot\\\\aspnet_client']"`,
    );
  });

  it('a hash with MD5 and SHA-1 in the MSTIC metadata gets all three, joined by OR', () => {
    const row = inputs.mstic.find((r) => r.indicatorType === 'sha256' && r.md5 !== undefined)!;
    const indicator = ofType('indicator').find((i) => (i.pattern as string).includes(row.indicator))!;
    expect(indicator.pattern).toBe(
      `[file:hashes.'SHA-256' = '${row.indicator}' OR file:hashes.MD5 = '${row.md5}' OR file:hashes.'SHA-1' = '${row.sha1}']`,
    );
  });

  it('domains, IPs and user agents get the right object paths', () => {
    const patterns = ofType('indicator').map((i) => i.pattern as string);
    expect(patterns).toContain("[domain-name:value = 'krebsonsecurity.top']");
    expect(patterns).toContain("[ipv4-addr:value = '5.2.69.14']");
    expect(patterns).toContain(
      "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)']",
    );
    // 15 IPs (Volexity's 13 + 2 more in CHIRP), 14 distinct user agents (one is listed twice).
    expect(patterns.filter((p) => p.startsWith('[ipv4-addr'))).toHaveLength(15);
    expect(patterns.filter((p) => p.startsWith('[network-traffic'))).toHaveLength(14);
  });

  it('valid_from is the earliest source date, never the clock', () => {
    const krebs = ofType('indicator').find(
      (i) => i.pattern === "[domain-name:value = 'krebsonsecurity.top']",
    )!;
    expect(krebs.valid_from).toBe('2021-04-01T00:00:00.000Z');
    const chack = ofType('indicator').find((i) => (i.pattern as string).includes("'ChackIdAR.aspx'"))!;
    expect(chack.valid_from).toBe('2021-03-24T00:00:00.000Z');
    for (const i of ofType('indicator')) {
      expect((i.valid_from as string) >= '2021-03-02', i.id).toBe(true);
      expect((i.valid_from as string) < '2021-04-02', i.id).toBe(true);
    }
  });
});

describe('indicators point at an actor only where the source names one', () => {
  const indicates = (indicatorId: string): string[] =>
    relationships()
      .filter((r) => r.relationship_type === 'indicates' && r.source_ref === indicatorId)
      .map((r) => r.target_ref as string);
  const massCampaign = (): StixObject =>
    ofType('campaign').find((c) => c.name === 'ProxyLogon mass exploitation (March 2021)')!;

  it('a file path only in the MSTIC feed indicates the mass-exploitation campaign, not HAFNIUM', () => {
    const chack = ofType('indicator').find((i) => (i.pattern as string).includes("'ChackIdAR.aspx'"))!;
    expect(indicates(chack.id)).toEqual([massCampaign().id]);
  });

  it("a hash from Microsoft's HAFNIUM blog indicates HAFNIUM", () => {
    const hash = inputs.hafniumBlogHashes[0]!;
    const indicator = ofType('indicator').find((i) => (i.pattern as string).includes(hash))!;
    expect(indicates(indicator.id)).toContain(HAFNIUM);
  });

  it('every link to HAFNIUM cites Microsoft or CHIRP, and the CHIRP one carries its low confidence', () => {
    for (const r of relationships().filter(
      (x) => x.relationship_type === 'indicates' && x.target_ref === HAFNIUM,
    )) {
      const description = r.description as string;
      expect(description, r.id).toMatch(/Microsoft's blog of 2 March 2021|possible Hafnium activity/);
      if (description.includes('possible Hafnium')) expect(r.confidence).toBe(30);
    }
  });

  it('nothing links APT40 or APT31 to the ProxyLogon campaigns or indicators', () => {
    for (const r of relationships()) {
      expect([LEVIATHAN, ZIRCONIUM]).not.toContain(r.source_ref);
      expect([LEVIATHAN, ZIRCONIUM]).not.toContain(r.target_ref);
    }
  });

  it('only the zero-day campaign is attributed to HAFNIUM, with Microsoft\'s "high confidence"', () => {
    const attributions = relationships().filter((r) => r.relationship_type === 'attributed-to');
    expect(attributions).toHaveLength(1);
    const [a] = attributions;
    expect(byId.get(a!.source_ref as string)?.name).toMatch(/zero-day/);
    expect(a!.target_ref).toBe(HAFNIUM);
    expect(a!.confidence).toBe(85);
    expect(attributions.some((r) => r.source_ref === massCampaign().id)).toBe(false);
  });

  it('the SU mitigates all four CVEs; EOMT only CVE-2021-26855', () => {
    const mitigated = (name: RegExp): string[] => {
      const coa = ofType('course-of-action').find((c) => name.test(c.name as string))!;
      return relationships()
        .filter((r) => r.relationship_type === 'mitigates' && r.source_ref === coa.id)
        .map((r) => byId.get(r.target_ref as string)!.name as string)
        .sort();
    };
    expect(mitigated(/KB5000871/)).toEqual([
      'CVE-2021-26855',
      'CVE-2021-26857',
      'CVE-2021-26858',
      'CVE-2021-27065',
    ]);
    expect(mitigated(/EOMT/)).toEqual(['CVE-2021-26855']);
  });
});

describe('the advisories are reports over ATT&CK', () => {
  const report = (id: string): StixObject =>
    ofType('report').find((r) =>
      (r.external_references as { external_id?: string }[]).some((x) => x.external_id === id),
    )!;

  it('AA21-200B references the ATT&CK attack patterns of all 68 technique ids', async () => {
    const r = report('AA21-200B');
    expect(r.report_types).toEqual(['threat-report']);
    expect(r.published).toBe('2021-07-19T00:00:00.000Z');
    const advisory = JSON.parse(
      await readFile(join(sharedDir, 'data/advisories/aa21-200b-techniques.json'), 'utf8'),
    ) as { techniques: { attack_v18: { stix_id: string } }[] };
    expect(r.object_refs).toEqual(advisory.techniques.map((t) => t.attack_v18.stix_id));
    for (const ref of r.object_refs as string[]) expect(typeOf(ref)).toBe('attack-pattern');
  });

  it('AA21-200A references its techniques, tools and Leviathan, skipping what ATT&CK lacks with a warning', () => {
    const r = report('AA21-200A');
    const refs = r.object_refs as string[];
    expect(refs.filter((x) => typeOf(x) === 'attack-pattern')).toHaveLength(37);
    expect(refs.filter((x) => ['malware', 'tool'].includes(typeOf(x)))).toHaveLength(11);
    expect(refs).toContain(LEVIATHAN);
    expect(build.warnings).toEqual([
      'AA21-200A: technique T1532 (Data Encrypted) not found in ATT&CK; skipped',
      'AA21-200A: software GreenRAT (no ATT&CK id) not found in ATT&CK; skipped',
      'AA21-200A: software jjdoor / Transporter (no ATT&CK id) not found in ATT&CK; skipped',
      'AA21-200A: software jumpkick (no ATT&CK id) not found in ATT&CK; skipped',
    ]);
  });
});

describe('the core STIX validator accepts the bundle', () => {
  it('validateBundle (with the pattern checker) reports zero errors', () => {
    const problems = validateBundle(build.bundle, {
      checkPattern: (pattern, type) => {
        if (type !== 'stix') return undefined;
        const r = checkPattern(pattern);
        return r.ok ? undefined : r.error.message;
      },
    });
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    // The only warnings: ids are UUIDv5 (deterministic by design) where the spec recommends UUIDv4.
    expect(new Set(problems.map((p) => p.rule))).toEqual(new Set(['id-version']));
  });

  it('the TLP:CLEAR definition in the bundle is the one core has built in', () => {
    expect(byId.get(TLP_CLEAR_ID)).toEqual(TLP2_MARKINGS.clear);
  });
});

describe('the core pattern engine accepts every pattern', () => {
  const observation = (objects: Observation['objects']): Observation => ({
    firstObserved: '2021-03-05T00:00:00Z',
    lastObserved: '2021-03-05T00:00:00Z',
    numberObserved: 1,
    objects,
  });
  const astOf = (pattern: string) => {
    const r = checkPattern(pattern);
    if (!r.ok) throw new Error(`${pattern}: ${r.error.message} at ${r.error.line}:${r.error.column}`);
    return r.ast;
  };

  it('every indicator pattern parses and validates with no error and no warning', () => {
    const problems: string[] = [];
    for (const i of ofType('indicator')) {
      const r = checkPattern(i.pattern as string);
      if (!r.ok) problems.push(`${i.id}: ${r.error.message}`);
      else for (const w of r.warnings) problems.push(`${i.id}: warning ${w.message}`);
    }
    expect(problems).toEqual([]);
  });

  it('a web shell found on disk matches its file-path indicator, the same name elsewhere does not', () => {
    const indicator = ofType('indicator').find(
      (i) => i.name === 'File C:\\inetpub\\wwwroot\\aspnet_client\\shell.aspx',
    )!;
    const ast = astOf(indicator.pattern as string);
    const onDisk = (directory: string): Observation =>
      observation({
        '0': { type: 'file', name: 'shell.aspx', parent_directory_ref: '1' },
        '1': { type: 'directory', path: directory },
      });
    expect(matchPattern(ast, [onDisk('C:\\inetpub\\wwwroot\\aspnet_client')]).matched).toBe(true);
    expect(matchPattern(ast, [onDisk('C:\\inetpub\\wwwroot')]).matched).toBe(false);
  });

  it('a request with a listed User-Agent matches its indicator', () => {
    const ua = 'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)';
    const indicator = ofType('indicator').find((i) => i.name === `User-Agent ${ua}`)!;
    const request = (userAgent: string): Observation =>
      observation({
        '0': {
          type: 'network-traffic',
          protocols: ['tcp', 'http'],
          extensions: {
            'http-request-ext': {
              request_method: 'POST',
              request_value: '/owa/auth/Current/',
              request_header: { 'User-Agent': userAgent },
            },
          },
        },
      });
    const ast = astOf(indicator.pattern as string);
    expect(matchPattern(ast, [request(ua)]).matched).toBe(true);
    expect(matchPattern(ast, [request(ua.replace(/ /g, '+'))]).matched).toBe(false);
  });
});

describe('escaping and decoding helpers', () => {
  it('a pattern string literal decodes back to the original value for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(literals(stixString(s))).toEqual([s]);
      }),
    );
    expect(stixString("C:\\it's")).toBe("'C:\\\\it\\'s'");
  });

  it('IIS "+" is read as a space except the literal "+" before a crawler URL', () => {
    expect(
      decodeIisUserAgent(
        'Mozilla/5.0+(compatible;+Baiduspider/2.0;++http://www.baidu.com/search/spider.html)',
      ),
    ).toBe('Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)');
    expect(decodeIisUserAgent('DuckDuckBot/1.0;+(+http://duckduckgo.com/duckduckbot.html)')).toBe(
      'DuckDuckBot/1.0; (+http://duckduckgo.com/duckduckbot.html)',
    );
    expect(decodeIisUserAgent('Mozilla/5.0+(compatible;+Yahoo!+Slurp;+http://help.yahoo.com/')).toBe(
      'Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/',
    );
    expect(decodeIisUserAgent('python-requests/2.25.1')).toBe('python-requests/2.25.1');
  });

  it('a Windows path splits into directory and name', () => {
    expect(splitWindowsPath('C:\\inetpub\\wwwroot\\aspnet_client\\shell.aspx')).toEqual({
      directory: 'C:\\inetpub\\wwwroot\\aspnet_client',
      name: 'shell.aspx',
    });
  });

  it('CSV fields may be quoted, with "" for a quote', () => {
    expect(parseCsv('a,"b, ""c""",d\r\n1,2,3\n')).toEqual([
      ['a', 'b, "c"', 'd'],
      ['1', '2', '3'],
    ]);
  });
});

describe('bad input gets a clear INVALID error', () => {
  const expectInvalid = (f: () => unknown, message: RegExp): void => {
    try {
      f();
    } catch (err) {
      expect(isEntenteError(err) && err.code).toBe('INVALID');
      expect((err as Error).message).toMatch(message);
      return;
    }
    throw new Error('expected an INVALID error');
  };
  const withMstic = (row: ProxyLogonInputs['mstic'][number]): ProxyLogonInputs => ({
    ...inputs,
    mstic: [...inputs.mstic, row],
  });

  it('a malformed hash, path, date or IP is rejected with the value named', () => {
    const base = { firstSeen: '', dateAdded: '2021-03-09' };
    expectInvalid(
      () => buildProxyLogonDemo(withMstic({ ...base, indicator: 'abc', indicatorType: 'sha256' })),
      /not a valid hash: "abc"/,
    );
    expectInvalid(
      () => buildProxyLogonDemo(withMstic({ ...base, indicator: 'shell.aspx', indicatorType: 'filepath' })),
      /not an absolute Windows file path/,
    );
    expectInvalid(
      () =>
        buildProxyLogonDemo(
          withMstic({ ...base, dateAdded: '9 March', indicator: 'C:\\x\\y.aspx', indicatorType: 'filepath' }),
        ),
      /expected a YYYY-MM-DD date, got "9 March"/,
    );
    expectInvalid(() => buildProxyLogonDemo({ ...inputs, chirpIps: ['300.1.1.1'] }), /not an IPv4 address/);
  });

  it('a groups file whose id disagrees with ATT&CK is refused', () => {
    const groups = inputs.groups.map((g) =>
      g.attackId === 'G0125' ? { ...g, stixId: 'intrusion-set--00000000-0000-4000-8000-000000000000' } : g,
    );
    expectInvalid(() => buildProxyLogonDemo({ ...inputs, groups }), /G0125 \(HAFNIUM\)/);
  });

  it('a CHIRP file without a network document is refused', () => {
    expectInvalid(
      () => parseChirpIps('---\nname: x\nioc_type: "yara"\n', 'chirp.yaml'),
      /no network document/,
    );
  });
});
