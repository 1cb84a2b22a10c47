/**
 * The ProxyLogon demo bundle: a pure function from the public source data (already read and parsed by
 * `load-proxylogon.ts`) to one STIX 2.1 bundle. No I/O and no clock here: the same inputs always give the same
 * bytes, because every id is a UUIDv5 over a stable name and every timestamp is a date taken from the sources.
 *
 * What it models, and why (see demo/README.md for the sources):
 * - the four ProxyLogon CVEs as vulnerabilities; the March 2021 SU and EOMT as courses of action;
 * - HAFNIUM, Leviathan (APT40) and ZIRCONIUM (APT31) are referenced by their ATT&CK ids, never copied;
 * - two campaigns, because the sources describe two different things: Microsoft attributed the original
 *   zero-day use to HAFNIUM, while the mass exploitation after 2 March involved many unrelated actors. An
 *   indicator only `indicates` an intrusion set when its source names that actor; otherwise it points at the
 *   mass-exploitation campaign;
 * - AA21-200A and AA21-200B as reports over ATT&CK techniques (and, for 200A, software and Leviathan).
 */
import { EntenteError, invalid } from '../../core/errors.js';
import { TLP2_MARKINGS, uuidv5 } from '../../core/stix/index.js';

// ---------------------------------------------------------------------------------------------- input types

/** One row of Microsoft's MSTIC feed (the JSON form, which also carries MD5/SHA-1 for the hashes). */
export interface MsticIndicator {
  readonly dateAdded: string;
  readonly firstSeen: string;
  readonly indicator: string;
  readonly indicatorType: 'sha256' | 'filepath' | 'domainname';
  readonly md5?: string | undefined;
  readonly sha1?: string | undefined;
}

export interface AdvisoryTechnique {
  readonly id: string;
  readonly name: string;
}

export interface AdvisorySoftware {
  readonly name: string;
  /** The ATT&CK S-id as printed, or matched by name when the advisory gave none; null when ATT&CK has none. */
  readonly attackId: string | null;
}

export interface Advisory {
  readonly id: string;
  readonly title: string;
  readonly authors: readonly string[];
  readonly published: string;
  readonly url: string;
  readonly techniques: readonly AdvisoryTechnique[];
  readonly software: readonly AdvisorySoftware[];
}

export interface AttackGroup {
  readonly attackId: string;
  readonly stixId: string;
  readonly name: string;
  readonly aliases: readonly string[];
}

/** One ATT&CK object reachable by its ATT&CK id (T…, S…, G…). */
export interface AttackEntry {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly revoked: boolean;
  readonly deprecated: boolean;
}

/** ATT&CK ids (`external_references[source_name=mitre-attack].external_id`) to the objects carrying them. */
export type AttackIndex = ReadonlyMap<string, readonly AttackEntry[]>;

export interface ProxyLogonInputs {
  readonly mstic: readonly MsticIndicator[];
  /** Volexity "Operation Exchange Marauder" IPs. */
  readonly volexityIps: readonly string[];
  /** CISA CHIRP AA21-062A network document ("possible Hafnium activity"). */
  readonly chirpIps: readonly string[];
  /** CISA CHIRP AA21-062A `ecp_user_agents` strings, as logged by IIS. */
  readonly chirpUserAgents: readonly string[];
  /** SCS-Labs community list of user agents, as logged by IIS. */
  readonly scsUserAgents: readonly string[];
  /** SCS-Labs community list of SHA-256 hashes. */
  readonly scsHashes: readonly string[];
  /** signature-base extract: web-shell SHA-256 from Microsoft's HAFNIUM blog of 2021-03-02. */
  readonly hafniumBlogHashes: readonly string[];
  readonly aa21200a: Advisory;
  readonly aa21200b: Advisory;
  readonly groups: readonly AttackGroup[];
  readonly attack: AttackIndex;
}

// --------------------------------------------------------------------------------------------- output types

export interface ExternalReference {
  readonly source_name: string;
  readonly description?: string;
  readonly url?: string;
  readonly external_id?: string;
}

/** A STIX 2.1 object as it goes on the wire (snake_case properties). */
export interface StixObject {
  readonly type: string;
  readonly id: string;
  readonly spec_version: '2.1';
  readonly [property: string]: unknown;
}

export interface StixBundle {
  readonly type: 'bundle';
  readonly id: string;
  readonly objects: readonly StixObject[];
}

export interface ProxyLogonBuild {
  readonly bundle: StixBundle;
  /** Things skipped on purpose (e.g. a technique id that ATT&CK v18.1 no longer has). */
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------------------------------------- constants

/** The RFC 4122 URL namespace. */
const NAMESPACE_URL = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/** Namespace of every demo id: UUIDv5 of a fixed URL in the RFC 4122 URL namespace. */
export const DEMO_NAMESPACE = uuidv5(NAMESPACE_URL, 'https://entente.invalid/demo/proxylogon');

const isStix21 = (o: Readonly<Record<string, unknown>>): o is StixObject => o.spec_version === '2.1';

/**
 * TLP 2.0 CLEAR, the fixed OASIS marking definition, exactly as core has it built in, so that importing the
 * bundle next to the built-in definition is a no-op rather than a conflict.
 */
const TLP_CLEAR: StixObject = (() => {
  const clear = TLP2_MARKINGS.clear;
  if (!isStix21(clear))
    throw new EntenteError('INTERNAL', 'core TLP:CLEAR marking definition is not STIX 2.1');
  return clear;
})();
export const TLP_CLEAR_ID = TLP_CLEAR.id;

const MARCH_2 = '2021-03-02';
const CHIRP_DATE = '2021-03-03'; // AA21-062A, the alert the CHIRP file encodes
const EOMT_DATE = '2021-03-15';
const JULY_19 = '2021-07-19';

/** Where each source lives; URLs pin the commits named in shared/data/*\/README.md. */
export const SOURCES = {
  mstic: {
    source_name: 'Microsoft MSTIC Exchange IOC feed',
    url: 'https://github.com/Azure/Azure-Sentinel/blob/876427cf7008fdd8eb1bf2055101c38b2242132b/Sample%20Data/Feeds/MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.json',
  },
  volexity: {
    source_name: 'Volexity Operation Exchange Marauder indicators',
    url: 'https://github.com/volexity/threat-intel/blob/7250e7b7a45ae4b95f779e0067867c291a2b17bf/2021/2021-03-02%20-%20Operation%20Exchange%20Marauder/indicators/indicators.csv',
  },
  volexityBlog: {
    source_name: 'Volexity',
    description: 'Active Exploitation of Microsoft Exchange Zero-Day Vulnerabilities (2021-03-02)',
    url: 'https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/',
  },
  chirp: {
    source_name: 'CISA CHIRP AA21-062A indicators',
    url: 'https://github.com/cisagov/CHIRP/blob/64146037a012e5a9c908d40682f62a3c652920b6/indicators/AA21-062A/AA21062A.yaml',
  },
  aa21062a: {
    source_name: 'cisa',
    external_id: 'AA21-062A',
    description: 'Mitigate Microsoft Exchange Server Vulnerabilities (2021-03-03)',
    url: 'https://us-cert.cisa.gov/ncas/alerts/aa21-062a',
  },
  signatureBase: {
    source_name: 'Neo23x0 signature-base hash IOCs',
    description: 'iocs/hash-iocs.txt lines 1633-1640 (Detection Rule License 1.1)',
    url: 'https://github.com/Neo23x0/signature-base/blob/8a89b3bf54517bbc35718460321d42536e1e6198/iocs/hash-iocs.txt#L1633-L1640',
  },
  hafniumBlog: {
    source_name: 'Microsoft',
    description: 'HAFNIUM targeting Exchange Servers with 0-day exploits (2021-03-02)',
    url: 'https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/',
  },
  scsHashes: {
    source_name: 'SCS-Labs HAFNIUM-Microsoft-Exchange-0day',
    description: 'community compilation re-publishing vendor indicators: indicators/hashes',
    url: 'https://github.com/SCS-Labs/HAFNIUM-Microsoft-Exchange-0day/blob/3ed5511fee43e5079a7451bc4846a9cc6adf702b/indicators/hashes',
  },
  scsUserAgents: {
    source_name: 'SCS-Labs HAFNIUM-Microsoft-Exchange-0day',
    description: 'community compilation re-publishing vendor indicators: indicators/useragents',
    url: 'https://github.com/SCS-Labs/HAFNIUM-Microsoft-Exchange-0day/blob/3ed5511fee43e5079a7451bc4846a9cc6adf702b/indicators/useragents',
  },
  advisoryDataset: {
    source_name: 'TTPXHunter-demo CISA crawl',
    description:
      'Advisory text read from datasets/cisa/CISA-crawl-rt-ttp-ct.json (Zenodo record 14659512); technique lists transcribed into shared/data/advisories',
    url: 'https://github.com/nh4ttruong/TTPXHunter-demo/blob/5fbd7778e6fc047c27f100650c9721d259aaca0b/datasets/cisa/CISA-crawl-rt-ttp-ct.json',
  },
  eomt: {
    source_name: 'microsoft/CSS-Exchange',
    description: 'Security/src/EOMT.ps1',
    url: 'https://github.com/microsoft/CSS-Exchange/blob/f88378b1e7a252e413cb2e579e88411393737c11/Security/src/EOMT.ps1',
  },
  buildInfo: {
    source_name: 'microsoft/CSS-Exchange',
    description: 'Shared/Get-ExchangeBuildVersionInformation.ps1 (March 2021 SU builds per CU)',
    url: 'https://github.com/microsoft/CSS-Exchange/blob/f88378b1e7a252e413cb2e579e88411393737c11/Shared/Get-ExchangeBuildVersionInformation.ps1',
  },
} as const satisfies Record<string, ExternalReference>;

/** Our own one-line summaries (domain.md), not quotations. */
const CVES = [
  {
    id: 'CVE-2021-26855',
    description:
      "Pre-authentication server-side request forgery in the Exchange front-end proxy: crafted X-BEResource / X-AnonResource-Backend cookies make the front end send requests to a back-end URL of the attacker's choosing, authenticated as the server. Entry point of the ProxyLogon chain.",
  },
  {
    id: 'CVE-2021-26857',
    description:
      'Insecure deserialization in the Exchange Unified Messaging service, giving code execution as SYSTEM. Needs admin rights or another bug such as CVE-2021-26855; only servers with the UM role (Exchange 2010 included).',
  },
  {
    id: 'CVE-2021-26858',
    description:
      'Post-authentication arbitrary file write in Exchange through Offline Address Book generation; used to drop a web shell. Reachable unauthenticated when chained with CVE-2021-26855.',
  },
  {
    id: 'CVE-2021-27065',
    description:
      'Post-authentication arbitrary file write in Exchange through the ECP virtual-directory settings (script in a URL property, then a reset writes the configuration to a chosen path). The usual way a web shell was dropped after CVE-2021-26855.',
  },
] as const;

const GROUP_IDS = { hafnium: 'G0125', leviathan: 'G0065', zirconium: 'G0128' } as const;

// ---------------------------------------------------------------------------------------------- helpers

const HEX = (n: number): RegExp => new RegExp(`^[0-9a-fA-F]{${n}}$`);
const SHA256_RE = HEX(64);
const SHA1_RE = HEX(40);
const MD5_RE = HEX(32);
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

const day = (date: string, what: string): string => {
  if (!DATE_RE.test(date)) throw invalid(`${what}: expected a YYYY-MM-DD date, got ${JSON.stringify(date)}`);
  return `${date}T00:00:00.000Z`;
};

const sdoId = (type: string, name: string): string => `${type}--${uuidv5(DEMO_NAMESPACE, `${type}:${name}`)}`;

/** A STIX patterning string literal: quote-delimited, with `\` and `'` escaped by a backslash. */
export const stixString = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * IIS W3C logs write spaces in a User-Agent as `+` and leave a real `+` as it is, so the logged form is
 * ambiguous. A `+` is read as a space, except the literal `+` crawlers put before their URL: one that follows
 * `(` or a `+` already read as a space, and is followed by `http` (`;++http://…` is `; +http://…`).
 */
export const decodeIisUserAgent = (logged: string): string => {
  let out = '';
  let previousWasEncodedSpace = false;
  for (let i = 0; i < logged.length; i++) {
    const c = logged[i]!;
    if (c !== '+') {
      out += c;
      previousWasEncodedSpace = false;
      continue;
    }
    const isLiteral: boolean =
      logged.startsWith('http', i + 1) && (logged[i - 1] === '(' || previousWasEncodedSpace);
    out += isLiteral ? '+' : ' ';
    previousWasEncodedSpace = !isLiteral;
  }
  return out;
};

/** Splits a Windows path into the directory (without trailing separator) and the file name. */
export const splitWindowsPath = (path: string): { directory: string; name: string } => {
  const at = path.lastIndexOf('\\');
  if (!/^[A-Za-z]:\\/.test(path) || at < 2 || at === path.length - 1) {
    throw invalid(`not an absolute Windows file path: ${JSON.stringify(path)}`);
  }
  return { directory: path.slice(0, at), name: path.slice(at + 1) };
};

const minDate = (a: string, b: string): string => (a <= b ? a : b);

// ---------------------------------------------------------------------------------------------- indicators

type IndicatorType = 'malicious-activity' | 'anomalous-activity';

interface Link {
  readonly target: string;
  date: string;
  readonly descriptions: string[];
  confidence?: number;
}

interface IndicatorDraft {
  readonly pattern: string;
  readonly name: string;
  readonly descriptions: string[];
  readonly indicatorType: IndicatorType;
  validFrom: string;
  readonly references: ExternalReference[];
  readonly links: Map<string, Link>;
}

class IndicatorSet {
  private readonly drafts = new Map<string, IndicatorDraft>();

  add(spec: {
    pattern: string;
    name: string;
    description: string;
    indicatorType: IndicatorType;
    date: string;
    reference: ExternalReference;
  }): IndicatorDraft {
    let draft = this.drafts.get(spec.pattern);
    if (draft === undefined) {
      draft = {
        pattern: spec.pattern,
        name: spec.name,
        descriptions: [],
        indicatorType: spec.indicatorType,
        validFrom: spec.date,
        references: [],
        links: new Map(),
      };
      this.drafts.set(spec.pattern, draft);
    }
    draft.validFrom = minDate(draft.validFrom, spec.date);
    if (!draft.descriptions.includes(spec.description)) draft.descriptions.push(spec.description);
    if (!draft.references.some((r) => sameReference(r, spec.reference)))
      draft.references.push(spec.reference);
    return draft;
  }

  all(): IndicatorDraft[] {
    return [...this.drafts.values()];
  }
}

const sameReference = (a: ExternalReference, b: ExternalReference): boolean =>
  a.source_name === b.source_name &&
  a.url === b.url &&
  a.description === b.description &&
  a.external_id === b.external_id;

const link = (
  draft: IndicatorDraft,
  target: string,
  date: string,
  description: string,
  confidence?: number,
): void => {
  let l = draft.links.get(target);
  if (l === undefined) {
    l = { target, date, descriptions: [] };
    draft.links.set(target, l);
  }
  l.date = minDate(l.date, date);
  if (!l.descriptions.includes(description)) l.descriptions.push(description);
  if (confidence !== undefined) l.confidence = Math.max(l.confidence ?? 0, confidence);
};

const hashPattern = (sha256: string, md5?: string, sha1?: string): string => {
  const terms = [`file:hashes.'SHA-256' = ${stixString(sha256.toLowerCase())}`];
  if (md5 !== undefined) terms.push(`file:hashes.MD5 = ${stixString(md5.toLowerCase())}`);
  if (sha1 !== undefined) terms.push(`file:hashes.'SHA-1' = ${stixString(sha1.toLowerCase())}`);
  return `[${terms.join(' OR ')}]`;
};

const checkHash = (re: RegExp, value: string, what: string): string => {
  if (!re.test(value)) throw invalid(`${what}: not a valid hash: ${JSON.stringify(value)}`);
  return value.toLowerCase();
};

// ---------------------------------------------------------------------------------------------- the builder

/** Builds the demo bundle; see {@link buildProxyLogonDemoWithReport} for the warnings. */
export const buildProxyLogonDemo = (inputs: ProxyLogonInputs): StixBundle =>
  buildProxyLogonDemoWithReport(inputs).bundle;

export const buildProxyLogonDemoWithReport = (inputs: ProxyLogonInputs): ProxyLogonBuild => {
  const warnings: string[] = [];

  const identityId = sdoId('identity', 'Entente demo data');
  const common = (created: string): Record<string, unknown> => ({
    created_by_ref: identityId,
    created,
    modified: created,
  });
  const marking = { object_marking_refs: [TLP_CLEAR_ID] };

  // One relationship per (source, type, target): the id is derived from exactly that triple.
  const relationship = (
    source: string,
    type: string,
    target: string,
    created: string,
    description?: string,
    confidence?: number,
  ): StixObject => ({
    type: 'relationship',
    spec_version: '2.1',
    id: sdoId('relationship', `${source}|${type}|${target}`),
    ...common(created),
    relationship_type: type,
    ...(description === undefined ? {} : { description }),
    source_ref: source,
    target_ref: target,
    ...(confidence === undefined ? {} : { confidence }),
    ...marking,
  });

  // ---- ATT&CK references
  const resolve = (attackId: string, types: readonly string[]): AttackEntry | undefined => {
    const entries = inputs.attack.get(attackId) ?? [];
    const ofType = entries.filter((e) => types.includes(e.type));
    return ofType.find((e) => !e.revoked && !e.deprecated) ?? ofType.find((e) => !e.revoked);
  };
  const group = (attackId: string): AttackGroup => {
    const g = inputs.groups.find((x) => x.attackId === attackId);
    if (g === undefined) throw invalid(`groups file has no ${attackId}`);
    const inAttack = resolve(attackId, ['intrusion-set']);
    if (inAttack === undefined || inAttack.id !== g.stixId) {
      throw invalid(
        `${attackId} (${g.name}) is ${g.stixId} in the groups file but ${inAttack?.id ?? 'missing'} in ATT&CK`,
      );
    }
    return g;
  };
  const hafnium = group(GROUP_IDS.hafnium);
  const leviathan = group(GROUP_IDS.leviathan);
  const zirconium = group(GROUP_IDS.zirconium);

  // ---- producer identity
  const identity: StixObject = {
    type: 'identity',
    spec_version: '2.1',
    id: identityId,
    ...common(day(MARCH_2, 'identity')),
    name: 'Entente demo data',
    description:
      'Producer of the ProxyLogon demo bundle, generated by scripts/build-demo-bundle.ts from public TLP:WHITE/CLEAR sources (see demo/README.md). Historical data from 2021: do not block or alert on it in production without review.',
    identity_class: 'system',
    ...marking,
  };

  // ---- vulnerabilities
  const vulnerabilities: StixObject[] = CVES.map((cve) => ({
    type: 'vulnerability',
    spec_version: '2.1',
    id: sdoId('vulnerability', cve.id),
    ...common(day(MARCH_2, cve.id)),
    name: cve.id,
    description: cve.description,
    external_references: [
      { source_name: 'cve', external_id: cve.id, url: `https://www.cve.org/CVERecord?id=${cve.id}` },
    ],
    ...marking,
  }));
  const vulnerabilityIds = vulnerabilities.map((v) => v.id);
  const cve26855 = sdoId('vulnerability', 'CVE-2021-26855');

  // ---- campaigns
  const zeroDay: StixObject = {
    type: 'campaign',
    spec_version: '2.1',
    id: sdoId('campaign', 'ProxyLogon zero-day exploitation'),
    ...common(day(MARCH_2, 'campaign')),
    name: 'ProxyLogon zero-day exploitation (January-March 2021)',
    description:
      "Targeted exploitation of the four Exchange zero-days before Microsoft's out-of-band update of 2 March 2021 (Volexity saw it from about 6 January). Microsoft attributed it to HAFNIUM, which it judged with high confidence to be state-sponsored and operating from China.",
    first_seen: day('2021-01-06', 'campaign first_seen'),
    external_references: [SOURCES.hafniumBlog, SOURCES.volexityBlog],
    ...marking,
  };
  const mass: StixObject = {
    type: 'campaign',
    spec_version: '2.1',
    id: sdoId('campaign', 'ProxyLogon mass exploitation (March 2021)'),
    ...common(day(MARCH_2, 'campaign')),
    name: 'ProxyLogon mass exploitation (March 2021)',
    description:
      'Wide-scale exploitation of unpatched on-premises Exchange servers after the vulnerabilities became public, by many unrelated actors (state-sponsored groups, then ransomware such as DearCry and coin miners). Not attributed to a single actor: indicators whose source names no actor are linked here.',
    external_references: [SOURCES.mstic, SOURCES.aa21062a],
    ...marking,
  };

  // ---- courses of action
  const su: StixObject = {
    type: 'course-of-action',
    spec_version: '2.1',
    id: sdoId('course-of-action', 'KB5000871'),
    ...common(day(MARCH_2, 'KB5000871')),
    name: 'Install the March 2021 Exchange Server security update (KB5000871)',
    description:
      'Out-of-band security update of 2 March 2021 fixing all four ProxyLogon CVEs. Fixed builds: Exchange 2013 CU23 15.0.1497.12; 2016 CU18 15.1.2106.13, CU19 15.1.2176.9; 2019 CU7 15.2.721.13, CU8 15.2.792.10; Exchange 2016 CU20 and 2019 CU9 include the fix. Older CUs got one-off builds; a CU without one must be upgraded. Patching does not remove a web shell already written.',
    external_references: [
      {
        source_name: 'microsoft',
        external_id: 'KB5000871',
        url: 'https://support.microsoft.com/help/5000871',
      },
      SOURCES.buildInfo,
    ],
    ...marking,
  };
  const eomt: StixObject = {
    type: 'course-of-action',
    spec_version: '2.1',
    id: sdoId('course-of-action', 'EOMT'),
    ...common(day(EOMT_DATE, 'EOMT')),
    name: 'Run the Exchange On-premises Mitigation Tool (EOMT)',
    description:
      'One-click interim mitigation (15 March 2021), not a patch: installs IIS URL Rewrite with two rules that abort requests whose cookie carries X-AnonResource-Backend or X-BEResource=…/…~…, then runs the Microsoft Safety Scanner. Mitigates CVE-2021-26855 only.',
    external_references: [SOURCES.eomt],
    ...marking,
  };

  // ---- indicators
  const indicators = new IndicatorSet();
  const massLink = (draft: IndicatorDraft, date: string, reason: string): void =>
    link(draft, mass.id, date, reason);
  const NO_ACTOR = (source: string): string => `${source} names no actor for this indicator.`;

  for (const row of inputs.mstic) {
    const date = row.dateAdded;
    day(date, `MSTIC ${row.indicator}`);
    const reference: ExternalReference = {
      ...SOURCES.mstic,
      description:
        row.firstSeen === ''
          ? `DateAdded ${row.dateAdded}`
          : `DateAdded ${row.dateAdded}, FirstSeen ${row.firstSeen}`,
    };
    let draft: IndicatorDraft;
    switch (row.indicatorType) {
      case 'sha256': {
        const sha256 = checkHash(SHA256_RE, row.indicator, 'MSTIC sha256');
        const md5 = row.md5 === undefined ? undefined : checkHash(MD5_RE, row.md5, 'MSTIC FileMd5');
        const sha1 = row.sha1 === undefined ? undefined : checkHash(SHA1_RE, row.sha1, 'MSTIC FileSha1');
        draft = indicators.add({
          pattern: hashPattern(sha256, md5, sha1),
          name: `File with SHA-256 ${sha256}`,
          description:
            "Malware hash from Microsoft's feed of files observed in attacks on unpatched Exchange servers (March 2021).",
          indicatorType: 'malicious-activity',
          date,
          reference,
        });
        break;
      }
      case 'filepath': {
        const { directory, name } = splitWindowsPath(row.indicator);
        draft = indicators.add({
          pattern: `[file:name = ${stixString(name)} AND file:parent_directory_ref.path = ${stixString(directory)}]`,
          name: `File ${row.indicator}`,
          description:
            "Known malicious file path (mostly web shells) from Microsoft's feed for attacks on unpatched Exchange servers (March 2021).",
          indicatorType: 'malicious-activity',
          date,
          reference,
        });
        break;
      }
      case 'domainname': {
        const domain = row.indicator.toLowerCase();
        if (!DOMAIN_RE.test(domain))
          throw invalid(`MSTIC domainname: not a domain: ${JSON.stringify(row.indicator)}`);
        draft = indicators.add({
          pattern: `[domain-name:value = ${stixString(domain)}]`,
          name: `Domain ${domain}`,
          description:
            "Domain from Microsoft's feed for attacks on unpatched Exchange servers, added on 1 April 2021.",
          indicatorType: 'malicious-activity',
          date,
          reference,
        });
        break;
      }
      default:
        throw invalid(
          `MSTIC: unknown IndicatorType ${JSON.stringify((row as { indicatorType: unknown }).indicatorType)}`,
        );
    }
    massLink(
      draft,
      date,
      NO_ACTOR('The MSTIC feed ("multiple actors taking advantage of unpatched systems")'),
    );
  }

  // Hashes from Microsoft's HAFNIUM blog: the only hash source that names an actor. The MSTIC rows above already
  // made the pattern (with MD5/SHA-1) for the hashes the feed also has; reuse it so one hash is one indicator.
  const msticHashPattern = new Map<string, string>();
  for (const d of indicators.all()) {
    const m = /^\[file:hashes\.'SHA-256' = '([0-9a-f]{64})'/.exec(d.pattern);
    if (m !== null) msticHashPattern.set(m[1]!, d.pattern);
  }
  const hashIndicator = (
    sha256: string,
    reference: ExternalReference,
    date: string,
    description: string,
  ): IndicatorDraft =>
    indicators.add({
      pattern: msticHashPattern.get(sha256) ?? hashPattern(sha256),
      name: `File with SHA-256 ${sha256}`,
      description,
      indicatorType: 'malicious-activity',
      date,
      reference,
    });
  const BLOG_HASH = "Web-shell hash published with Microsoft's HAFNIUM blog of 2 March 2021.";
  for (const raw of inputs.hafniumBlogHashes) {
    const sha256 = checkHash(SHA256_RE, raw, 'signature-base hash');
    const draft = hashIndicator(sha256, SOURCES.signatureBase, MARCH_2, BLOG_HASH);
    hashIndicator(sha256, SOURCES.hafniumBlog, MARCH_2, BLOG_HASH);
    link(
      draft,
      hafnium.stixId,
      MARCH_2,
      'Listed as a HAFNIUM web shell in Microsoft\'s blog of 2 March 2021 (via signature-base "HAFNIUM Webshells - Exchange Exploitation").',
    );
  }
  for (const raw of inputs.scsHashes) {
    const sha256 = checkHash(SHA256_RE, raw, 'SCS-Labs hash');
    const known =
      msticHashPattern.has(sha256) || inputs.hafniumBlogHashes.some((h) => h.toLowerCase() === sha256);
    const draft = hashIndicator(
      sha256,
      SOURCES.scsHashes,
      MARCH_2,
      'Hash in the SCS-Labs community list of HAFNIUM-era Exchange indicators.',
    );
    if (!known) massLink(draft, MARCH_2, NO_ACTOR('The SCS-Labs community list'));
  }

  // IPs: Volexity's file names no actor; CHIRP calls the same list "possible Hafnium activity", confidence 3 on
  // its 1-10 scale, which the STIX 0-10 mapping turns into 30.
  const ipIndicator = (
    ip: string,
    reference: ExternalReference,
    date: string,
    description: string,
  ): IndicatorDraft => {
    if (!IPV4_RE.test(ip)) throw invalid(`not an IPv4 address: ${JSON.stringify(ip)}`);
    return indicators.add({
      pattern: `[ipv4-addr:value = ${stixString(ip)}]`,
      name: `IPv4 ${ip}`,
      description: `${description} Mostly rented VPS/VPN hosts: historical (2021), may belong to someone else now.`,
      indicatorType: 'malicious-activity',
      date,
      reference,
    });
  };
  for (const ip of inputs.volexityIps) {
    const draft = ipIndicator(
      ip,
      SOURCES.volexity,
      MARCH_2,
      'Volexity: address attempting to exploit Exchange servers in March 2021.',
    );
    massLink(draft, MARCH_2, NO_ACTOR("Volexity's indicator file"));
  }
  for (const ip of inputs.chirpIps) {
    const description = 'CISA CHIRP (AA21-062A): address Volexity saw attackers of Exchange servers use.';
    const draft = ipIndicator(ip, SOURCES.chirp, CHIRP_DATE, description);
    ipIndicator(ip, SOURCES.aa21062a, CHIRP_DATE, description);
    massLink(
      draft,
      CHIRP_DATE,
      'CISA CHIRP AA21-062A lists it for the exploitation of Exchange in March 2021.',
    );
    link(
      draft,
      hafnium.stixId,
      CHIRP_DATE,
      'CISA CHIRP AA21-062A lists it among "IP addresses related to possible Hafnium activity" with confidence 3 on its 1-10 scale (STIX 0-10 mapping: 30).',
      30,
    );
  }

  // User agents, as IIS logged them (Volexity via CHIRP; the SCS-Labs list is the same set).
  const uaIndicator = (logged: string, reference: ExternalReference, date: string): IndicatorDraft => {
    const ua = decodeIisUserAgent(logged.trim());
    if (ua === '') throw invalid('empty User-Agent');
    return indicators.add({
      pattern: `[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = ${stixString(ua)}]`,
      name: `User-Agent ${ua}`,
      description: `Non-standard User-Agent Volexity saw on POST requests to /owa/auth/Current/ (logged by IIS as ${logged.trim()}). Not proof of compromise by itself: most imitate search-engine crawlers.`,
      indicatorType: 'anomalous-activity',
      date,
      reference,
    });
  };
  for (const ua of inputs.chirpUserAgents) {
    massLink(uaIndicator(ua, SOURCES.chirp, CHIRP_DATE), CHIRP_DATE, NO_ACTOR('CISA CHIRP AA21-062A'));
    uaIndicator(ua, SOURCES.volexityBlog, MARCH_2);
  }
  for (const ua of inputs.scsUserAgents) {
    massLink(
      uaIndicator(ua, SOURCES.scsUserAgents, MARCH_2),
      MARCH_2,
      NO_ACTOR('The SCS-Labs community list'),
    );
  }

  const indicatorObjects: StixObject[] = [];
  const indicatorRelationships: StixObject[] = [];
  for (const d of indicators.all()) {
    const id = sdoId('indicator', d.pattern);
    const validFrom = day(d.validFrom, `indicator ${d.name}`);
    indicatorObjects.push({
      type: 'indicator',
      spec_version: '2.1',
      id,
      ...common(validFrom),
      name: d.name,
      description: d.descriptions.join(' '),
      indicator_types: [d.indicatorType],
      pattern: d.pattern,
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: validFrom,
      external_references: d.references,
      ...marking,
    });
    for (const l of d.links.values()) {
      indicatorRelationships.push(
        relationship(
          id,
          'indicates',
          l.target,
          day(l.date, 'relationship'),
          l.descriptions.join(' '),
          l.confidence,
        ),
      );
    }
  }

  // ---- reports
  const report = (
    advisory: Advisory,
    extraRefs: readonly string[],
    reportTypes: readonly string[],
  ): StixObject => {
    const refs: string[] = [];
    const add = (id: string): void => {
      if (!refs.includes(id)) refs.push(id);
    };
    let techniquesFound = 0;
    for (const t of advisory.techniques) {
      const entry = resolve(t.id, ['attack-pattern']);
      if (entry === undefined) {
        warnings.push(`${advisory.id}: technique ${t.id} (${t.name}) not found in ATT&CK; skipped`);
        continue;
      }
      techniquesFound++;
      add(entry.id);
    }
    for (const s of advisory.software) {
      const entry = s.attackId === null ? undefined : resolve(s.attackId, ['malware', 'tool']);
      if (entry === undefined) {
        warnings.push(
          `${advisory.id}: software ${s.name} (${s.attackId ?? 'no ATT&CK id'}) not found in ATT&CK; skipped`,
        );
        continue;
      }
      add(entry.id);
    }
    for (const id of extraRefs) add(id);
    if (refs.length === 0) throw invalid(`${advisory.id}: no object to reference`);
    const published = day(advisory.published, `${advisory.id} published`);
    return {
      type: 'report',
      spec_version: '2.1',
      id: sdoId('report', advisory.id),
      ...common(published),
      name: `${advisory.id}: ${advisory.title}`,
      description: `Joint advisory by ${advisory.authors.join(', ')} of ${advisory.published}. References the ${techniquesFound} of its ${advisory.techniques.length} ATT&CK technique ids (printed against ATT&CK v9) that ATT&CK v18.1 still has${advisory.software.length > 0 ? ', and the named malware and tools that ATT&CK has' : ''}.`,
      report_types: reportTypes,
      published,
      object_refs: refs,
      external_references: [
        { source_name: 'cisa', external_id: advisory.id, url: advisory.url },
        SOURCES.advisoryDataset,
      ],
      ...marking,
    };
  };
  const aa21200b = report(inputs.aa21200b, [], ['threat-report']);
  const aa21200a = report(inputs.aa21200a, [leviathan.stixId], ['threat-report', 'threat-actor']);

  // ---- the July 2021 context: who was named, and what was not said
  const note: StixObject = {
    type: 'note',
    spec_version: '2.1',
    id: sdoId('note', 'July 2021 attribution'),
    ...common(day(JULY_19, 'note')),
    abstract: 'Coordinated attribution of 19 July 2021',
    content:
      'On 19 July 2021 the US, UK, EU, NATO, Canada, Australia, New Zealand and Japan spoke together. The US, Canada and Australia said actors of China\'s Ministry of State Security (MSS) exploited the Exchange vulnerabilities; the UK said Chinese state-backed actors did ("almost certain"), that HAFNIUM is "highly likely" associated with the Chinese state, and that the MSS is behind APT40 and APT31; New Zealand confirmed Chinese state-sponsored actors exploited Exchange in New Zealand; Japan said the Chinese government is behind APT40. The EU said the activity was undertaken from the territory of China and can be linked to APT40 and APT31, without accusing the Chinese state; NATO only acknowledged the Allies\' statements. APT40 (Leviathan) and APT31 (ZIRCONIUM) were named alongside the Exchange compromise, but no statement equates HAFNIUM with either, so this bundle has no relationship between them and the ProxyLogon campaigns or indicators.',
    authors: ['Entente demo data'],
    object_refs: [hafnium.stixId, leviathan.stixId, zirconium.stixId, zeroDay.id, mass.id],
    external_references: [
      { source_name: 'cisa', external_id: 'AA21-200A', url: inputs.aa21200a.url },
      { source_name: 'cisa', external_id: 'AA21-200B', url: inputs.aa21200b.url },
    ],
    ...marking,
  };

  // ---- relationships between the SDOs
  const march2 = day(MARCH_2, 'relationship');
  const relationships: StixObject[] = [
    ...indicatorRelationships,
    relationship(
      zeroDay.id,
      'attributed-to',
      hafnium.stixId,
      march2,
      'Microsoft (2 March 2021) attributed the original zero-day exploitation to HAFNIUM "with high confidence" (confidence level High, 85 on the STIX None/Low/Med/High mapping).',
      85,
    ),
    ...vulnerabilityIds.flatMap((v) => [
      relationship(zeroDay.id, 'targets', v, march2),
      relationship(mass.id, 'targets', v, march2),
      relationship(hafnium.stixId, 'targets', v, march2, 'Microsoft, 2 March 2021.'),
      relationship(su.id, 'mitigates', v, march2),
    ]),
    relationship(eomt.id, 'mitigates', cve26855, day(EOMT_DATE, 'relationship')),
  ];

  const byId = (a: StixObject, b: StixObject): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const objects: StixObject[] = [
    TLP_CLEAR,
    identity,
    ...vulnerabilities.sort(byId),
    ...[zeroDay, mass].sort(byId),
    ...[su, eomt].sort(byId),
    ...indicatorObjects.sort(byId),
    ...[aa21200b, aa21200a].sort(byId),
    note,
    ...relationships.sort(byId),
  ];

  const seen = new Set<string>();
  for (const o of objects) {
    if (seen.has(o.id)) throw invalid(`duplicate id ${o.id}`);
    seen.add(o.id);
  }

  return {
    bundle: { type: 'bundle', id: `bundle--${uuidv5(DEMO_NAMESPACE, 'bundle:proxylogon-demo')}`, objects },
    warnings,
  };
};

/** The file form of the bundle: 2-space JSON with a final newline (what demo/proxylogon.json holds). */
export const serializeBundle = (bundle: StixBundle): string => `${JSON.stringify(bundle, null, 2)}\n`;
