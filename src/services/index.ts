/**
 * Use cases over storage: ingest, export, validation, collections, statistics. Services never import HTTP or CLI
 * code and throw catalogue errors (src/core/errors.ts), never HTTP statuses.
 */
import type { ValidateOptions } from '../core/stix/index.js';
import type { Storage } from '../storage/index.js';
import { CollectionService } from './collection-service.js';
import { ExportService } from './export-service.js';
import { IngestService } from './ingest-service.js';
import { StatsService } from './stats-service.js';

export { CollectionService, ENTENTE_NAMESPACE } from './collection-service.js';
export { ExportService, type ExportQuery } from './export-service.js';
export {
  IngestService,
  type ImportOptions,
  type ImportReport,
  type ImportProgress,
} from './ingest-service.js';
export { StatsService, type StoreStats } from './stats-service.js';
export { validateStream, type ValidationReport } from './validate-service.js';

export interface Services {
  readonly ingest: IngestService;
  readonly exports: ExportService;
  readonly collections: CollectionService;
  readonly stats: StatsService;
}

export function createServices(storage: Storage, validateOptions: ValidateOptions): Services {
  return {
    ingest: new IngestService(storage, validateOptions),
    exports: new ExportService(storage),
    collections: new CollectionService(storage, () => new Date().toISOString()),
    stats: new StatsService(storage),
  };
}
