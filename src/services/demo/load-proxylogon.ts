/**
 * Reads the shared source files for the ProxyLogon demo bundle and turns them into `ProxyLogonInputs`. All the
 * I/O of the demo lives here, so that `buildProxyLogonDemo` stays a pure function. Every parser is small and
 * strict: a file that does not look like the one described in shared/data/*\/README.md is an INVALID error
 * naming the file, never a silently smaller bundle.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid } from '../../core/errors.js';
import type {
  Advisory,
  AttackEntry,
  AttackGroup,
  AttackIndex,
  MsticIndicator,
  ProxyLogonInputs,
} from './proxylogon.js';

export const SOURCE_FILES = {
  msticJson: 'proxylogon/MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.json',
  msticCsv: 'proxylogon/MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.csv',
  volexity: 'proxylogon/volexity-operation-exchange-marauder-indicators.csv',
  chirp: 'proxylogon/cisa-chirp-AA21-062A-indicators.yaml',
  scsUserAgents: 'proxylogon/scs-labs-useragents.txt',
  scsHashes: 'proxylogon/scs-labs-hashes.txt',
  signatureBaseHashes: 'proxylogon/signature-base-hafnium-hash-iocs.txt',
  aa21200a: 'advisories/aa21-200a-techniques.json',
  aa21200b: 'advisories/aa21-200b-techniques.json',
  groups: 'attack/groups-hafnium-apt40-apt31.json',
  attack: 'attack/enterprise-attack.json',
} as const;

/**
 * Reads every source under `sharedDir` (the folder holding `data/`, e.g. `../shared`). Pass `attackBundle` when
 * the caller has already parsed ATT&CK (50 MB), so it is not read twice.
 */
export const loadProxyLogonInputs = async (
  sharedDir: string,
  attackBundle?: unknown,
): Promise<ProxyLogonInputs> => {
  const file = (name: keyof typeof SOURCE_FILES): string => join(sharedDir, 'data', SOURCE_FILES[name]);
  const text = async (name: keyof typeof SOURCE_FILES): Promise<string> => {
    try {
      return await readFile(file(name), 'utf8');
    } catch (err) {
      throw invalid(`cannot read ${file(name)}: ${(err as Error).message}`);
    }
  };
  const json = async (name: keyof typeof SOURCE_FILES): Promise<unknown> => {
    const body = await text(name);
    try {
      return JSON.parse(body) as unknown;
    } catch (err) {
      throw invalid(`${file(name)}: not JSON: ${(err as Error).message}`);
    }
  };

  const mstic = parseMsticJson(await json('msticJson'), file('msticJson'));
  checkMsticCsvAgrees(parseCsv(await text('msticCsv')), mstic, file('msticCsv'));
  const chirp = await text('chirp');

  return {
    mstic,
    volexityIps: parseVolexityCsv(await text('volexity'), file('volexity')),
    chirpIps: parseChirpIps(chirp, file('chirp')),
    chirpUserAgents: parseChirpUserAgents(chirp, file('chirp')),
    scsUserAgents: lines(await text('scsUserAgents')),
    scsHashes: lines(await text('scsHashes')),
    hafniumBlogHashes: parseSignatureBaseHashes(
      await text('signatureBaseHashes'),
      file('signatureBaseHashes'),
    ),
    aa21200a: parseAdvisory(await json('aa21200a'), file('aa21200a')),
    aa21200b: parseAdvisory(await json('aa21200b'), file('aa21200b')),
    groups: parseGroups(await json('groups'), file('groups')),
    attack: indexAttack(attackBundle ?? (await json('attack')), file('attack')),
  };
};

/** Reads and parses the ATT&CK Enterprise bundle under `sharedDir`. */
export const readAttackBundle = async (sharedDir: string): Promise<unknown> => {
  const path = join(sharedDir, 'data', SOURCE_FILES.attack);
  let body: string;
  try {
    body = await readFile(path, 'utf8');
  } catch (err) {
    throw invalid(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw invalid(`${path}: not JSON: ${(err as Error).message}`);
  }
};

// ---------------------------------------------------------------------------------------------- parsers

const lines = (body: string): string[] =>
  body
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const str = (v: unknown, where: string): string => {
  if (typeof v !== 'string') throw invalid(`${where}: expected a string, got ${JSON.stringify(v)}`);
  return v;
};

const MSTIC_TYPES = ['sha256', 'filepath', 'domainname'] as const;

export const parseMsticJson = (data: unknown, where: string): MsticIndicator[] => {
  if (!Array.isArray(data)) throw invalid(`${where}: expected a top-level array`);
  return data.map((row, i): MsticIndicator => {
    const at = `${where} [${i}]`;
    if (!isRecord(row)) throw invalid(`${at}: expected an object`);
    const indicatorType = str(row.IndicatorType, `${at}.IndicatorType`);
    if (!(MSTIC_TYPES as readonly string[]).includes(indicatorType)) {
      throw invalid(`${at}.IndicatorType: unknown type ${JSON.stringify(indicatorType)}`);
    }
    const tlp = str(row.TLP, `${at}.TLP`);
    if (tlp !== 'White')
      throw invalid(`${at}.TLP: only TLP:WHITE rows may go in the public demo, got ${tlp}`);
    // Rows without metadata carry an empty string rather than an empty object.
    const meta =
      row.AdditionalMetadata === undefined || row.AdditionalMetadata === '' ? {} : row.AdditionalMetadata;
    if (!isRecord(meta)) throw invalid(`${at}.AdditionalMetadata: expected an object`);
    return {
      dateAdded: str(row.DateAdded, `${at}.DateAdded`),
      firstSeen: str(row.FirstSeen ?? '', `${at}.FirstSeen`),
      indicator: str(row.Indicator, `${at}.Indicator`),
      indicatorType: indicatorType as MsticIndicator['indicatorType'],
      md5: meta.FileMd5 === undefined ? undefined : str(meta.FileMd5, `${at}.AdditionalMetadata.FileMd5`),
      sha1: meta.FileSha1 === undefined ? undefined : str(meta.FileSha1, `${at}.AdditionalMetadata.FileSha1`),
    };
  });
};

/** RFC 4180 CSV: comma-separated, optional double quotes with `""` for a quote. Returns rows of fields. */
export const parseCsv = (body: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endField = (): void => {
    row.push(field);
    field = '';
  };
  while (i < body.length) {
    const c = body[i]!;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      endField();
      rows.push(row);
      row = [];
    } else field += c;
    i++;
  }
  if (quoted) throw invalid('CSV: unterminated quoted field');
  if (field !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows.map((r) => r.map((f) => f.trim())).filter((r) => r.some((f) => f !== ''));
};

/** The CSV and JSON forms of the feed are the same 152 rows; refuse to build from a mismatched pair. */
const checkMsticCsvAgrees = (rows: string[][], json: readonly MsticIndicator[], where: string): void => {
  const [header, ...body] = rows;
  if (header?.join(',') !== 'DateAdded,FirstSeen,Indicator,IndicatorType,TLP') {
    throw invalid(`${where}: unexpected header ${JSON.stringify(header)}`);
  }
  const key = (dateAdded: string, indicator: string, type: string): string =>
    `${dateAdded}|${indicator}|${type}`;
  const fromCsv = body.map((r) => key(r[0] ?? '', r[2] ?? '', r[3] ?? '')).sort();
  const fromJson = json.map((r) => key(r.dateAdded, r.indicator, r.indicatorType)).sort();
  if (fromCsv.length !== fromJson.length || fromCsv.some((k, i) => k !== fromJson[i])) {
    throw invalid(`${where}: the CSV and JSON forms of the MSTIC feed disagree`);
  }
};

export const parseVolexityCsv = (body: string, where: string): string[] => {
  const [header, ...rows] = parseCsv(body);
  if (header?.join(',') !== 'value,type,notes')
    throw invalid(`${where}: unexpected header ${JSON.stringify(header)}`);
  return rows.map((r, i) => {
    if (r[1] !== 'ipaddress')
      throw invalid(`${where} row ${i + 2}: expected type ipaddress, got ${r[1] ?? ''}`);
    return r[0] ?? '';
  });
};

const yamlDocuments = (body: string): string[] => body.split(/^---\s*$/m);

/** The `ips: |` block of the CHIRP document whose `ioc_type` is `network`. */
export const parseChirpIps = (body: string, where: string): string[] => {
  const doc = yamlDocuments(body).find((d) => /^ioc_type:\s*"network"\s*$/m.test(d));
  if (doc === undefined) throw invalid(`${where}: no network document`);
  const docLines = doc.split(/\r?\n/);
  const start = docLines.findIndex((l) => /^\s*ips:\s*\|\s*$/.test(l));
  if (start < 0) throw invalid(`${where}: network document has no "ips: |" block`);
  const indent = (l: string): number => l.length - l.trimStart().length;
  const blockIndent = indent(docLines[start]!);
  const ips: string[] = [];
  for (const l of docLines.slice(start + 1)) {
    if (l.trim() === '') continue;
    if (indent(l) <= blockIndent) break;
    ips.push(l.trim());
  }
  if (ips.length === 0) throw invalid(`${where}: empty ips block`);
  return ips;
};

/** The `$uaN= "…"` strings of the CHIRP `ecp_user_agents` YARA rule (YAML block text, YARA string syntax). */
export const parseChirpUserAgents = (body: string, where: string): string[] => {
  const doc = yamlDocuments(body).find((d) => /rule ecp_user_agents/.test(d));
  if (doc === undefined) throw invalid(`${where}: no ecp_user_agents rule`);
  const uas = [...doc.matchAll(/^\s*\$ua\d+\s*=\s*"((?:[^"\\]|\\.)*)"\s*$/gm)].map((m) =>
    m[1]!.replace(/\\(.)/g, '$1'),
  );
  if (uas.length === 0) throw invalid(`${where}: ecp_user_agents has no strings`);
  return uas;
};

export const parseSignatureBaseHashes = (body: string, where: string): string[] =>
  lines(body).map((l, i) => {
    const [hash, description] = l.split(';');
    if (hash === undefined || description === undefined || !/HAFNIUM/.test(description)) {
      throw invalid(`${where} line ${i + 1}: expected "<sha256>;HAFNIUM …"`);
    }
    return hash.trim();
  });

export const parseAdvisory = (data: unknown, where: string): Advisory => {
  if (!isRecord(data) || !isRecord(data.advisory) || !Array.isArray(data.techniques)) {
    throw invalid(`${where}: expected { advisory, techniques[] }`);
  }
  const a = data.advisory;
  const authors = a.authors;
  if (!Array.isArray(authors)) throw invalid(`${where}: advisory.authors must be an array`);
  const software = data.software ?? [];
  if (!Array.isArray(software)) throw invalid(`${where}: software must be an array`);
  return {
    id: str(a.id, `${where} advisory.id`),
    title: str(a.title, `${where} advisory.title`),
    authors: authors.map((x, i) => str(x, `${where} advisory.authors[${i}]`)),
    published: str(a.published, `${where} advisory.published`),
    url: str(a.url, `${where} advisory.url`),
    techniques: data.techniques.map((t: unknown, i) => {
      if (!isRecord(t)) throw invalid(`${where} techniques[${i}]: expected an object`);
      return {
        id: str(t.id, `${where} techniques[${i}].id`),
        name: str(t.name, `${where} techniques[${i}].name`),
      };
    }),
    software: software.map((s: unknown, i) => {
      if (!isRecord(s)) throw invalid(`${where} software[${i}]: expected an object`);
      const id = s.attack_id ?? s.attack_id_by_name_match ?? null;
      return {
        name: str(s.name, `${where} software[${i}].name`),
        attackId: id === null ? null : str(id, `${where} software[${i}].attack_id`),
      };
    }),
  };
};

export const parseGroups = (data: unknown, where: string): AttackGroup[] => {
  if (!isRecord(data) || !Array.isArray(data.groups)) throw invalid(`${where}: expected { groups[] }`);
  return data.groups.map((g: unknown, i) => {
    if (!isRecord(g) || !Array.isArray(g.aliases)) throw invalid(`${where} groups[${i}]: expected a group`);
    return {
      attackId: str(g.attack_id, `${where} groups[${i}].attack_id`),
      stixId: str(g.stix_id, `${where} groups[${i}].stix_id`),
      name: str(g.name, `${where} groups[${i}].name`),
      aliases: g.aliases.map((x, j) => str(x, `${where} groups[${i}].aliases[${j}]`)),
    };
  });
};

/** ATT&CK id → objects, over every object with a `mitre-attack` external reference. */
export const indexAttack = (data: unknown, where: string): AttackIndex => {
  if (!isRecord(data) || data.type !== 'bundle' || !Array.isArray(data.objects)) {
    throw invalid(`${where}: expected a STIX bundle`);
  }
  const index = new Map<string, AttackEntry[]>();
  for (const o of data.objects) {
    if (!isRecord(o) || !Array.isArray(o.external_references)) continue;
    for (const ref of o.external_references) {
      if (!isRecord(ref) || ref.source_name !== 'mitre-attack' || typeof ref.external_id !== 'string')
        continue;
      const entry: AttackEntry = {
        id: str(o.id, `${where} object id`),
        type: str(o.type, `${where} ${String(o.id)} type`),
        name: typeof o.name === 'string' ? o.name : '',
        revoked: o.revoked === true,
        deprecated: o.x_mitre_deprecated === true,
      };
      const list = index.get(ref.external_id);
      if (list === undefined) index.set(ref.external_id, [entry]);
      else list.push(entry);
    }
  }
  return index;
};

/** Every object id in an ATT&CK bundle (for checking that the demo's references resolve). */
export const attackObjectIds = (data: unknown): Set<string> => {
  const ids = new Set<string>();
  if (isRecord(data) && Array.isArray(data.objects)) {
    for (const o of data.objects) if (isRecord(o) && typeof o.id === 'string') ids.add(o.id);
  }
  return ids;
};
