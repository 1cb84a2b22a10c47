/**
 * Use cases over storage: ingest, export, validation, collections, statistics. Services never import HTTP or CLI
 * code and throw catalogue errors (src/core/errors.ts), never HTTP statuses.
 */
import type { Principal } from '../core/access/principal.js';
import type { Storage } from '../storage/index.js';
import { CollectionService } from './collection-service.js';
import { ExportService } from './export-service.js';
import { IngestService } from './ingest-service.js';
import { StatsService } from './stats-service.js';
import { AuditService, type AuditBufferOptions } from './audit-service.js';
import { SharingService } from './sharing-service.js';

export { CollectionService, ENTENTE_NAMESPACE } from './collection-service.js';
export { ExportService, type ExportQuery } from './export-service.js';
export {
  IngestService,
  type ImportOptions,
  type ImportReport,
  type ImportProgress,
} from './ingest-service.js';
export { StatsService, type StoreStats } from './stats-service.js';
export {
  AuditService,
  type AuditAction,
  type AuditBufferOptions,
  type AuditDetail,
  type AuditEvent,
} from './audit-service.js';
export { SharingService, type NewOrganization } from './sharing-service.js';
export { LOCAL_OPERATOR } from './export-service.js';
export { validateStream, type ValidationReport } from './validate-service.js';
export { nodeValidateOptions } from './validation.js';

export interface Services {
  readonly ingest: IngestService;
  readonly exports: ExportService;
  readonly collections: CollectionService;
  readonly stats: StatsService;
  readonly audit: AuditService;
  readonly sharing: SharingService;
}

export interface ServicesOptions {
  /** How the audit log buffers reads (tests inject a timer); defaults in AuditService. */
  readonly auditBuffer?: AuditBufferOptions | undefined;
}

/**
 * `new Date().toISOString()`, made once per millisecond: the audit log stamps every read (also a re-polled page,
 * which only counts), and formatting a date cost a few µs of each cached TAXII read under load. The same string
 * as a fresh call, since the ISO form has millisecond precision.
 */
export function isoClock(clockMs: () => number = () => Date.now()): () => string {
  let lastMs = Number.NaN;
  let lastIso = '';
  return () => {
    const ms = clockMs();
    if (ms !== lastMs) {
      lastIso = new Date(ms).toISOString();
      lastMs = ms;
    }
    return lastIso;
  };
}

export function createServices(storage: Storage, options: ServicesOptions = {}): Services {
  const now = isoClock();
  const audit = new AuditService(storage, now, options.auditBuffer);
  const sharing = new SharingService(storage, audit, now);
  const visibilityFor = (p: Principal) => sharing.visibilityFor(p);
  return {
    audit,
    sharing,
    ingest: new IngestService(storage),
    exports: new ExportService(storage, visibilityFor, audit),
    collections: new CollectionService(storage, () => new Date().toISOString()),
    stats: new StatsService(storage, visibilityFor),
  };
}
