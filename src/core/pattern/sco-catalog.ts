/** The STIX 2.1 cyber-observable object types and their top-level properties, for validating object paths. */

export type PropertyType = 'string' | 'integer' | 'timestamp' | 'boolean' | 'binary' | 'hex' | 'other';

const COMMON: Record<string, PropertyType> = {
  type: 'string',
  id: 'string',
  spec_version: 'string',
  object_marking_refs: 'other',
  granular_markings: 'other',
  defanged: 'boolean',
  extensions: 'other',
};

const S = 'string' as const;
const I = 'integer' as const;
const T = 'timestamp' as const;
const B = 'boolean' as const;
const O = 'other' as const;

export const SCO_PROPERTIES: Readonly<Record<string, Readonly<Record<string, PropertyType>>>> = {
  artifact: {
    mime_type: S,
    payload_bin: 'binary',
    url: S,
    hashes: O,
    encryption_algorithm: S,
    decryption_key: S,
  },
  'autonomous-system': { number: I, name: S, rir: S },
  directory: { path: S, path_enc: S, ctime: T, mtime: T, atime: T, contains_refs: O },
  'domain-name': { value: S, resolves_to_refs: O },
  'email-addr': { value: S, display_name: S, belongs_to_ref: O },
  'email-message': {
    is_multipart: B,
    date: T,
    content_type: S,
    from_ref: O,
    sender_ref: O,
    to_refs: O,
    cc_refs: O,
    bcc_refs: O,
    message_id: S,
    subject: S,
    received_lines: O,
    additional_header_fields: O,
    body: S,
    body_multipart: O,
    raw_email_ref: O,
  },
  file: {
    hashes: O,
    size: I,
    name: S,
    name_enc: S,
    magic_number_hex: 'hex',
    mime_type: S,
    ctime: T,
    mtime: T,
    atime: T,
    parent_directory_ref: O,
    contains_refs: O,
    content_ref: O,
  },
  'ipv4-addr': { value: S, resolves_to_refs: O, belongs_to_refs: O },
  'ipv6-addr': { value: S, resolves_to_refs: O, belongs_to_refs: O },
  'mac-addr': { value: S },
  mutex: { name: S },
  'network-traffic': {
    start: T,
    end: T,
    is_active: B,
    src_ref: O,
    dst_ref: O,
    src_port: I,
    dst_port: I,
    protocols: O,
    src_byte_count: I,
    dst_byte_count: I,
    src_packets: I,
    dst_packets: I,
    ipfix: O,
    src_payload_ref: O,
    dst_payload_ref: O,
    encapsulates_refs: O,
    encapsulated_by_ref: O,
  },
  process: {
    is_hidden: B,
    pid: I,
    created_time: T,
    cwd: S,
    command_line: S,
    environment_variables: O,
    opened_connection_refs: O,
    creator_user_ref: O,
    image_ref: O,
    parent_ref: O,
    child_refs: O,
  },
  software: { name: S, cpe: S, swid: S, languages: O, vendor: S, version: S },
  url: { value: S },
  'user-account': {
    user_id: S,
    credential: S,
    account_login: S,
    account_type: S,
    display_name: S,
    is_service_account: B,
    is_privileged: B,
    can_escalate_privs: B,
    is_disabled: B,
    account_created: T,
    account_expires: T,
    credential_last_changed: T,
    account_first_login: T,
    account_last_login: T,
  },
  'windows-registry-key': { key: S, values: O, modified_time: T, creator_user_ref: O, number_of_subkeys: I },
  'x509-certificate': {
    is_self_signed: B,
    hashes: O,
    version: S,
    serial_number: S,
    signature_algorithm: S,
    issuer: S,
    validity_not_before: T,
    validity_not_after: T,
    subject: S,
    subject_public_key_algorithm: S,
    subject_public_key_modulus: S,
    subject_public_key_exponent: I,
    x509_v3_extensions: O,
  },
};

/** STIX domain and relationship objects: not matchable by patterns, which are about cyber observables. */
export const NON_SCO_TYPES: ReadonlySet<string> = new Set([
  'attack-pattern',
  'bundle',
  'campaign',
  'course-of-action',
  'grouping',
  'identity',
  'incident',
  'indicator',
  'infrastructure',
  'intrusion-set',
  'language-content',
  'location',
  'malware',
  'malware-analysis',
  'marking-definition',
  'note',
  'observed-data',
  'opinion',
  'relationship',
  'report',
  'sighting',
  'threat-actor',
  'tool',
  'vulnerability',
  'extension-definition',
]);

/** The hash algorithm vocabulary (hashing-algorithm-ov). */
export const HASH_ALGORITHMS: Readonly<Record<string, number | undefined>> = {
  MD5: 32,
  'SHA-1': 40,
  'SHA-256': 64,
  'SHA-512': 128,
  'SHA3-256': 64,
  'SHA3-512': 128,
  SSDEEP: undefined,
  TLSH: 70,
};

export function propertyType(objectType: string, property: string): PropertyType | undefined {
  const props = SCO_PROPERTIES[objectType];
  if (!props) return undefined;
  return Object.hasOwn(props, property)
    ? props[property]
    : Object.hasOwn(COMMON, property)
      ? COMMON[property]
      : undefined;
}
