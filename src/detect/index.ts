/**
 * Detection: `entente scan`. Streams Exchange HttpProxy/ECP/OAB logs, Application event-log exports, IIS W3C logs
 * and web-shell folder listings (plain, .gz, .zip), runs the ProxyLogon detectors, matches every record's
 * observables against the indicator index, checks Exchange build numbers, and turns indicator hits into STIX
 * sightings. May read files and start worker threads; must not import storage, services, taxii or http, and takes
 * clock and ids from its caller.
 */
export {
  checkBuild,
  compareBuilds,
  parseBuild,
  MITIGATION_GUIDANCE,
  type BuildStatus,
  type BuildVerdict,
} from './builds.js';
export { DETECTORS, detectRecord, type DetectorId } from './detectors.js';
export { RecordReader, sniffKind, normaliseTime } from './formats.js';
export { buildIndicatorIndex, type IndicatorIndex, type IndicatorInput } from './indicator-index.js';
export { indicatorsFromJson, loadIndicatorFile, type LoadedIndicators } from './indicators.js';
export { recordObservation, type Observation } from './observables.js';
export { scanParallel, type ParallelScanOptions } from './parallel.js';
export { formatBuildVerdicts, formatReport, hasFindings, reportJson, type ReportInput } from './report.js';
export { emptyResult, mergeResults, scanSource, scanSources, sortResult, type ScanOptions } from './scan.js';
export { scanTree, type TreeOptions } from './tree.js';
export { buildSightings, identifyScos, type SightingOptions, type StixObject } from './sightings.js';
export { collectSources, openSource, type SourceRef } from './sources.js';
export { checkPath } from './webshell.js';
export type {
  Finding,
  IndicatorHit,
  LogKind,
  LogRecord,
  ScanResult,
  ScanStats,
  Severity,
  Skip,
} from './types.js';
export {
  generateLogs,
  CAMPAIGN,
  type GenerateOptions,
  type GroundTruth,
  type PlantedTrace,
} from './synthetic/generate.js';
export {
  campaignIndicators,
  indicatorBundle,
  syntheticIndicators,
  type SyntheticIndicator,
} from './synthetic/indicators.js';
