/**
 * Exchange 2013/2016/2019 cumulative updates and their March 2021 (KB5000871, ProxyLogon) security-update builds.
 * Transcribed from shared/data/proxylogon/exchange-march2021-builds.json (itself from microsoft/CSS-Exchange
 * Get-ExchangeBuildVersionInformation.ps1 @ f88378b1). `suBuild` null: either the CU has no March 2021 SU
 * (vulnerable until upgraded) or, with `includesFix`, the CU shipped the fix itself (2016 CU20, 2019 CU9).
 */
export interface CumulativeUpdate {
  readonly product: string;
  readonly cu: string;
  readonly cuBuild: string;
  readonly suBuild: string | null;
  readonly includesFix: boolean;
  readonly suWasRegularRelease: boolean;
}

export const MARCH_2021_KB = 'KB5000871';

export const MARCH_2021_CVES: readonly string[] = ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065", "CVE-2021-26412", "CVE-2021-27078", "CVE-2021-26854"];

export const EXCHANGE_CUS: readonly CumulativeUpdate[] = [
  { product: "Exchange Server 2013", cu: "CU1", cuBuild: "15.0.620.29", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU2", cuBuild: "15.0.712.24", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU3", cuBuild: "15.0.775.38", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU4", cuBuild: "15.0.847.32", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU5", cuBuild: "15.0.913.22", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU6", cuBuild: "15.0.995.29", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU7", cuBuild: "15.0.1044.25", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU8", cuBuild: "15.0.1076.9", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU9", cuBuild: "15.0.1104.5", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU10", cuBuild: "15.0.1130.7", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU11", cuBuild: "15.0.1156.6", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU12", cuBuild: "15.0.1178.4", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU13", cuBuild: "15.0.1210.3", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU14", cuBuild: "15.0.1236.3", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU15", cuBuild: "15.0.1263.5", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU16", cuBuild: "15.0.1293.2", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU17", cuBuild: "15.0.1320.4", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU18", cuBuild: "15.0.1347.2", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU19", cuBuild: "15.0.1365.1", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU20", cuBuild: "15.0.1367.3", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU21", cuBuild: "15.0.1395.4", suBuild: "15.0.1395.12", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU22", cuBuild: "15.0.1473.3", suBuild: "15.0.1473.6", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2013", cu: "CU23", cuBuild: "15.0.1497.2", suBuild: "15.0.1497.12", includesFix: false, suWasRegularRelease: true },
  { product: "Exchange Server 2016", cu: "CU1", cuBuild: "15.1.396.30", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU2", cuBuild: "15.1.466.34", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU3", cuBuild: "15.1.544.27", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU4", cuBuild: "15.1.669.32", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU5", cuBuild: "15.1.845.34", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU6", cuBuild: "15.1.1034.26", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU7", cuBuild: "15.1.1261.35", suBuild: null, includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU8", cuBuild: "15.1.1415.2", suBuild: "15.1.1415.8", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU9", cuBuild: "15.1.1466.3", suBuild: "15.1.1466.13", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU10", cuBuild: "15.1.1531.3", suBuild: "15.1.1531.12", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU11", cuBuild: "15.1.1591.10", suBuild: "15.1.1591.18", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU12", cuBuild: "15.1.1713.5", suBuild: "15.1.1713.10", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU13", cuBuild: "15.1.1779.2", suBuild: "15.1.1779.8", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU14", cuBuild: "15.1.1847.3", suBuild: "15.1.1847.12", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU15", cuBuild: "15.1.1913.5", suBuild: "15.1.1913.12", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU16", cuBuild: "15.1.1979.3", suBuild: "15.1.1979.8", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU17", cuBuild: "15.1.2044.4", suBuild: "15.1.2044.13", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2016", cu: "CU18", cuBuild: "15.1.2106.2", suBuild: "15.1.2106.13", includesFix: false, suWasRegularRelease: true },
  { product: "Exchange Server 2016", cu: "CU19", cuBuild: "15.1.2176.2", suBuild: "15.1.2176.9", includesFix: false, suWasRegularRelease: true },
  { product: "Exchange Server 2016", cu: "CU20", cuBuild: "15.1.2242.4", suBuild: null, includesFix: true, suWasRegularRelease: false },
  { product: "Exchange Server 2019", cu: "CU1", cuBuild: "15.2.330.5", suBuild: "15.2.330.11", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2019", cu: "CU2", cuBuild: "15.2.397.3", suBuild: "15.2.397.11", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2019", cu: "CU3", cuBuild: "15.2.464.5", suBuild: "15.2.464.15", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2019", cu: "CU4", cuBuild: "15.2.529.5", suBuild: "15.2.529.13", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2019", cu: "CU5", cuBuild: "15.2.595.3", suBuild: "15.2.595.8", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2019", cu: "CU6", cuBuild: "15.2.659.4", suBuild: "15.2.659.12", includesFix: false, suWasRegularRelease: false },
  { product: "Exchange Server 2019", cu: "CU7", cuBuild: "15.2.721.2", suBuild: "15.2.721.13", includesFix: false, suWasRegularRelease: true },
  { product: "Exchange Server 2019", cu: "CU8", cuBuild: "15.2.792.3", suBuild: "15.2.792.10", includesFix: false, suWasRegularRelease: true },
  { product: "Exchange Server 2019", cu: "CU9", cuBuild: "15.2.858.5", suBuild: null, includesFix: true, suWasRegularRelease: false },
];
