/**
 * Who is asking. Shared by authentication (TAXII/HTTP), the access policy and the audit log. Pure types.
 */
export type Role = 'admin' | 'analyst' | 'reader' | 'peer';

export interface Principal {
  /** Stable id of the user or API token (never the secret). */
  readonly id: string;
  readonly kind: 'user' | 'token' | 'anonymous';
  /** Display name for logs and audit (username, token label). */
  readonly name: string;
  /** The organisation the principal acts for (its STIX identity id), or null (anonymous). */
  readonly organizationId: string | null;
  readonly roles: readonly Role[];
  /** For API tokens scoped to some collections: their ids; undefined = not scoped (the roles decide). */
  readonly collectionScope?: readonly string[] | undefined;
}

export const ANONYMOUS: Principal = Object.freeze({
  id: 'anonymous',
  kind: 'anonymous',
  name: 'anonymous',
  organizationId: null,
  roles: Object.freeze([]),
});
