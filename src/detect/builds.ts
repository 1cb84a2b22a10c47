/**
 * Exchange build check: given a build number as Exchange prints it (plain or zero-padded), say whether the server
 * is exposed to ProxyLogon (the March 2021 CVEs) and, when it is, what to do. The table is `data/exchange-builds.ts`.
 */
import { EntenteError } from '../core/errors.js';
import {
  EXCHANGE_CUS,
  MARCH_2021_CVES,
  MARCH_2021_KB,
  type CumulativeUpdate,
} from './data/exchange-builds.js';

export type BuildStatus = 'vulnerable' | 'patched' | 'unknown' | 'exchange-2010';

export interface BuildVerdict {
  readonly input: string;
  /** The build without zero padding, e.g. `15.2.792.10`. */
  readonly build: string;
  readonly product: string | undefined;
  readonly cu: string | undefined;
  readonly status: BuildStatus;
  readonly reason: string;
  /** The lowest build of this CU that has the fix, when one exists. */
  readonly fixedBuild: string | undefined;
  /** What to do, in order, when the server is (or may be) exposed. Empty when patched. */
  readonly guidance: readonly string[];
}

type Version = readonly [number, number, number, number];

/** Parses `15.2.792.10`, `15.02.0792.010` or `15.2.792` (revision 0). Throws INVALID on anything else. */
export function parseBuild(text: string): Version {
  const t = text.trim();
  const m = /^(\d{1,4})\.(\d{1,4})\.(\d{1,6})(?:\.(\d{1,6}))?$/.exec(t);
  if (!m)
    throw new EntenteError('INVALID', `not an Exchange build number: '${text}' (expected e.g. 15.2.792.10)`);
  return [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? '0')];
}

export function compareBuilds(a: Version, b: Version): number {
  for (let i = 0; i < 4; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

const show = (v: Version): string => v.join('.');

/** The CUs released on 2021-03-16 with the fix built in; EOMT treats any build at or above these as patched. */
const FIXED_CUS = EXCHANGE_CUS.filter((c) => c.includesFix);

export const MITIGATION_GUIDANCE: readonly string[] = [
  `Install the March 2021 security update (${MARCH_2021_KB}) for this CU, or move to a CU that includes the fix ` +
    '(Exchange 2019 CU9 15.2.858.5 or later, Exchange 2016 CU20 15.1.2242.4 or later, Exchange 2013 CU23 with SU 15.0.1497.12).',
  'Until patched, run the Exchange On-premises Mitigation Tool (EOMT.ps1): it installs IIS URL Rewrite and adds two ' +
    'inbound rules to the Default Web Site that abort any request whose Cookie header contains ' +
    "'X-AnonResource-Backend' or matches 'X-BEResource=<a>/<b>~<c>' (mitigates CVE-2021-26855 only).",
  'Stop-gaps from the older ExchangeMitigations.ps1, with service impact: stop and disable MSExchangeUM and ' +
    'MSExchangeUMCR (CVE-2021-26857), stop MSExchangeECPAppPool (CVE-2021-27065) and MSExchangeOABAppPool (CVE-2021-26858).',
  'Assume compromise until shown otherwise: run `entente scan` over the HttpProxy, ECP, OABGenerator, IIS and ' +
    'Application event logs and a listing of the web-shell folders, and run the Microsoft Safety Scanner.',
];

const product = (major: number, minor: number): string | undefined =>
  major !== 15
    ? undefined
    : minor === 0
      ? 'Exchange Server 2013'
      : minor === 1
        ? 'Exchange Server 2016'
        : minor === 2
          ? 'Exchange Server 2019'
          : undefined;

export function checkBuild(input: string): BuildVerdict {
  const v = parseBuild(input);
  const build = show(v);
  const [major, minor, third] = v;
  const base = { input, build };
  if (major === 14) {
    return {
      ...base,
      product: 'Exchange Server 2010',
      cu: undefined,
      status: 'exchange-2010',
      reason:
        'Exchange 2010 is exposed only to CVE-2021-26857, and only with the Unified Messaging role; install the ' +
        'March 2021 defense-in-depth update for Exchange 2010 SP3 RU32.',
      fixedBuild: undefined,
      guidance: [
        'If the Unified Messaging role is installed, apply the March 2021 update for Exchange 2010 SP3, or stop and ' +
          'disable MSExchangeUM and MSExchangeUMCR until then.',
        MITIGATION_GUIDANCE[3]!,
      ],
    };
  }
  const prod = product(major, minor);
  if (!prod) {
    return {
      ...base,
      product: undefined,
      cu: undefined,
      status: 'unknown',
      reason: `build ${build} is not Exchange 2010/2013/2016/2019; ProxyLogon affected only on-premises 2013-2019 (and 2010 via UM)`,
      fixedBuild: undefined,
      guidance: [],
    };
  }
  const cus = EXCHANGE_CUS.filter((c) => c.product === prod);
  const cu: CumulativeUpdate | undefined = cus.find((c) => parseBuild(c.cuBuild)[2] === third);
  const fixedCu = FIXED_CUS.find((c) => c.product === prod);
  if (fixedCu && compareBuilds(v, parseBuild(fixedCu.cuBuild)) >= 0) {
    return {
      ...base,
      product: prod,
      cu: cu?.cu,
      status: 'patched',
      reason: `at or above ${prod} ${fixedCu.cu} (${fixedCu.cuBuild}), which includes the March 2021 fixes`,
      fixedBuild: fixedCu.cuBuild,
      guidance: [],
    };
  }
  if (cu) {
    if (cu.suBuild === null) {
      return {
        ...base,
        product: prod,
        cu: cu.cu,
        status: 'vulnerable',
        reason: `${prod} ${cu.cu} has no March 2021 security update: upgrade to a CU that has one`,
        fixedBuild: undefined,
        guidance: MITIGATION_GUIDANCE,
      };
    }
    const su = parseBuild(cu.suBuild);
    if (compareBuilds(v, su) >= 0) {
      const unsupported = cu.suWasRegularRelease
        ? ''
        : ' (the SU was a one-off for an out-of-support CU: plan a CU upgrade)';
      return {
        ...base,
        product: prod,
        cu: cu.cu,
        status: 'patched',
        reason: `${prod} ${cu.cu} at or above its March 2021 SU build ${cu.suBuild}${unsupported}`,
        fixedBuild: cu.suBuild,
        guidance: [],
      };
    }
    return {
      ...base,
      product: prod,
      cu: cu.cu,
      status: 'vulnerable',
      reason: `${prod} ${cu.cu} below its March 2021 SU build ${cu.suBuild}; fixes ${MARCH_2021_CVES.join(', ')}`,
      fixedBuild: cu.suBuild,
      guidance: MITIGATION_GUIDANCE,
    };
  }
  const newest = cus[cus.length - 1]!;
  if (third < parseBuild(newest.cuBuild)[2]) {
    return {
      ...base,
      product: prod,
      cu: undefined,
      status: 'vulnerable',
      reason: `${build} is not a known CU build and is older than ${prod} ${newest.cu}; treat as vulnerable`,
      fixedBuild: undefined,
      guidance: MITIGATION_GUIDANCE,
    };
  }
  return {
    ...base,
    product: prod,
    cu: undefined,
    status: 'unknown',
    reason: `${build} is newer than every ${prod} build known to the March 2021 table; check the installed updates`,
    fixedBuild: undefined,
    guidance: [],
  };
}
