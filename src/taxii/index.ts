/**
 * TAXII 2.1: wire types, the server routes (a Fastify plugin that receives a `TaxiiBackend` by injection) and the
 * client used by the CLI and federation. Imports only src/core; never storage, services or HTTP assembly.
 */
export type * from './types.js';
export type {
  ApiRootConfig,
  ListEndpoint,
  Page,
  PageItem,
  TaxiiBackend,
  TaxiiServerConfig,
} from './backend.js';
export { taxiiRoutes, type TaxiiRoutesOptions } from './server.js';
export {
  TaxiiClient,
  TaxiiHttpError,
  checkUrl,
  type ClientFilter,
  type Credentials,
  type PageResult,
  type PagingOptions,
  type TaxiiClientOptions,
} from './client.js';
export { parseTaxiiConfig } from './config.js';
export { CursorSigner, fingerprint, type CursorContext } from './cursor.js';
export { TAXII_MEDIA_TYPE, STIX_MEDIA_TYPE, acceptsTaxii, isTaxiiContentType } from './media.js';
export { parseFilter, isStixId, type Endpoint, type TaxiiFilter, type VersionMatch } from './query.js';
