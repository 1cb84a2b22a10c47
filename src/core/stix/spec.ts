/**
 * The STIX 2.1 object model as data: one precompiled property table per object type (STIX 2.1 OS, §4–§7), the
 * predefined SCO extensions (§6), the ID-contributing properties of each SCO (§6) and the relationship tables of
 * each SDO (§4 "Relationships"). The validator walks these tables; nothing here runs per call.
 */
import * as V from './vocab.js';
import type { Vocab } from './vocab.js';

/** Which object types an identifier property may point at. `sco`/`sdo` also admit custom (non-spec) types. */
export interface RefTarget {
  readonly types: ReadonlySet<string>;
  readonly anySco: boolean;
  readonly anySdo: boolean;
  readonly any: boolean;
  readonly label: string;
  /** `type--` for each allowed type, for the fast path of the validator. */
  readonly prefixes: readonly string[];
}

/** The values a dictionary property may hold. */
export type DictValues = 'string' | 'integer' | 'integer-or-string' | 'string-or-strings';

export type PropSpec =
  | { readonly k: 'string' | 'boolean' | 'hex' | 'binary' | 'url' | 'lang' | 'any' }
  /** `values`: what each value must be, where the spec says (else any non-null value). */
  | { readonly k: 'dict'; readonly values?: DictValues }
  /** `strict`: keys MUST come from hash-algorithm-ov (external references, §2.5); else custom keys are allowed. */
  | { readonly k: 'hashes'; readonly strict?: boolean }
  | { readonly k: 'timestamp'; readonly ms?: boolean }
  | { readonly k: 'integer' | 'number'; readonly min?: number; readonly max?: number }
  | { readonly k: 'ref'; readonly to: RefTarget }
  | { readonly k: 'vocab'; readonly vocab: Vocab }
  | { readonly k: 'list'; readonly item: PropSpec }
  | { readonly k: 'object'; readonly spec: ObjSpec }
  | { readonly k: 'external-references' | 'kill-chain-phases' | 'granular-markings' | 'extensions' };

export type Category = 'sdo' | 'sro' | 'sco' | 'meta' | 'bundle';

/** A JSON object's properties: their types, which are required, and the checks that span several of them. */
export interface ObjSpec {
  readonly name: string;
  readonly props: ReadonlyMap<string, PropSpec>;
  readonly required: readonly string[];
  /** Properties not in `props`: custom properties are allowed (checked by name) unless `closed`. */
  readonly closed: boolean;
  /** Name of a cross-property check in validate.ts (`CHECKS`), if any. */
  readonly check?: string;
}

export interface TypeSpec extends ObjSpec {
  readonly category: Category;
  /** For SCOs: the ID-contributing properties (§6, "ID Contributing Properties"), in spec order. */
  readonly idContributing?: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Property type shorthands

const STR: PropSpec = { k: 'string' };
const BOOL: PropSpec = { k: 'boolean' };
const INT: PropSpec = { k: 'integer' };
const UINT: PropSpec = { k: 'integer', min: 0 };
const TS: PropSpec = { k: 'timestamp' };
const TS_MS: PropSpec = { k: 'timestamp', ms: true };
const DICT: PropSpec = { k: 'dict' };
const dictOf = (values: DictValues): PropSpec => ({ k: 'dict', values });
const HASHES: PropSpec = { k: 'hashes' };
const HEX: PropSpec = { k: 'hex' };
const URL: PropSpec = { k: 'url' };
const LIST_STR: PropSpec = { k: 'list', item: STR };
const KCP: PropSpec = { k: 'kill-chain-phases' };
const vocab = (v: Vocab): PropSpec => ({ k: 'vocab', vocab: v });
const vocabs = (v: Vocab): PropSpec => ({ k: 'list', item: vocab(v) });
const obj = (spec: ObjSpec): PropSpec => ({ k: 'object', spec });
const objs = (spec: ObjSpec): PropSpec => ({ k: 'list', item: obj(spec) });

export const SDO_TYPES: readonly string[] = [
  'attack-pattern',
  'campaign',
  'course-of-action',
  'grouping',
  'identity',
  'incident',
  'indicator',
  'infrastructure',
  'intrusion-set',
  'location',
  'malware',
  'malware-analysis',
  'note',
  'observed-data',
  'opinion',
  'report',
  'threat-actor',
  'tool',
  'vulnerability',
];
export const SRO_TYPES: readonly string[] = ['relationship', 'sighting'];
export const SCO_TYPES: readonly string[] = [
  'artifact',
  'autonomous-system',
  'directory',
  'domain-name',
  'email-addr',
  'email-message',
  'file',
  'ipv4-addr',
  'ipv6-addr',
  'mac-addr',
  'mutex',
  'network-traffic',
  'process',
  'software',
  'url',
  'user-account',
  'windows-registry-key',
  'x509-certificate',
];
export const META_TYPES: readonly string[] = [
  'marking-definition',
  'language-content',
  'extension-definition',
];

const SDO_SET: ReadonlySet<string> = new Set(SDO_TYPES);
const SCO_SET: ReadonlySet<string> = new Set(SCO_TYPES);

function target(spec: string): RefTarget {
  const parts = spec.split(' ');
  const types = parts.filter((p) => p !== 'SCO' && p !== 'SDO' && p !== 'ANY');
  return {
    types: new Set(types),
    prefixes: types.map((t) => `${t}--`),
    anySco: parts.includes('SCO'),
    anySdo: parts.includes('SDO'),
    any: parts.includes('ANY'),
    label: parts.join(', '),
  };
}
const ref = (to: string): PropSpec => ({ k: 'ref', to: target(to) });
const refs = (to: string): PropSpec => ({ k: 'list', item: ref(to) });

// ---------------------------------------------------------------------------------------------------------------
// Common properties (§3.2)

type Props = Record<string, PropSpec>;

const SDO_COMMON: Props = {
  type: STR,
  spec_version: STR,
  id: STR,
  created_by_ref: ref('identity'),
  created: TS_MS,
  modified: TS_MS,
  revoked: BOOL,
  labels: LIST_STR,
  confidence: { k: 'integer', min: 0, max: 100 },
  lang: { k: 'lang' },
  external_references: { k: 'external-references' },
  object_marking_refs: refs('marking-definition'),
  granular_markings: { k: 'granular-markings' },
  extensions: { k: 'extensions' },
};
const SDO_REQUIRED = ['type', 'spec_version', 'id', 'created', 'modified'];

const SCO_COMMON: Props = {
  type: STR,
  spec_version: STR,
  id: STR,
  object_marking_refs: refs('marking-definition'),
  granular_markings: { k: 'granular-markings' },
  defanged: BOOL,
  extensions: { k: 'extensions' },
};
const SCO_REQUIRED = ['type', 'id'];

function spec(
  name: string,
  props: Props,
  required: readonly string[],
  closed = false,
  check?: string,
): ObjSpec {
  return { name, props: new Map(Object.entries(props)), required, closed, ...(check ? { check } : {}) };
}

function sdo(type: string, props: Props, required: readonly string[], check?: string): TypeSpec {
  return {
    ...spec(type, { ...SDO_COMMON, ...props }, [...SDO_REQUIRED, ...required], false, check),
    category: SRO_TYPES.includes(type) ? 'sro' : 'sdo',
  };
}

function sco(
  type: string,
  props: Props,
  required: readonly string[],
  idContributing: readonly string[],
  check?: string,
): TypeSpec {
  return {
    ...spec(type, { ...SCO_COMMON, ...props }, [...SCO_REQUIRED, ...required], false, check),
    category: 'sco',
    idContributing,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Shared sub-objects

export const EXTERNAL_REFERENCE = spec(
  'external-reference',
  { source_name: STR, description: STR, url: URL, hashes: { k: 'hashes', strict: true }, external_id: STR },
  ['source_name'],
  false,
  'external-reference',
);
export const KILL_CHAIN_PHASE = spec(
  'kill-chain-phase',
  { kill_chain_name: STR, phase_name: STR },
  ['kill_chain_name', 'phase_name'],
  false,
  'kill-chain-phase',
);
export const GRANULAR_MARKING = spec(
  'granular-marking',
  { lang: { k: 'lang' }, marking_ref: ref('marking-definition'), selectors: LIST_STR },
  ['selectors'],
  false,
  'granular-marking',
);

// ---------------------------------------------------------------------------------------------------------------
// SDOs (§4)

const NAME_DESC: Props = { name: STR, description: STR };
const SEEN: Props = { first_seen: TS, last_seen: TS };

const SDOS: TypeSpec[] = [
  sdo('attack-pattern', { ...NAME_DESC, aliases: LIST_STR, kill_chain_phases: KCP }, ['name']),
  sdo('campaign', { ...NAME_DESC, aliases: LIST_STR, ...SEEN, objective: STR }, ['name'], 'seen'),
  // `action` is reserved (checked in validate.ts); action_type, os_execution_envs, action_bin and action_reference
  // were removed before 2.1 (WD07) and are plain custom properties now.
  sdo('course-of-action', { ...NAME_DESC }, ['name'], 'course-of-action'),
  sdo('grouping', { ...NAME_DESC, context: vocab(V.GROUPING_CONTEXT), object_refs: refs('ANY') }, [
    'context',
    'object_refs',
  ]),
  sdo(
    'identity',
    {
      ...NAME_DESC,
      roles: LIST_STR,
      identity_class: vocab(V.IDENTITY_CLASS),
      sectors: vocabs(V.INDUSTRY_SECTOR),
      contact_information: STR,
    },
    ['name'],
  ),
  sdo('incident', { ...NAME_DESC, kill_chain_phases: KCP }, ['name']),
  sdo(
    'indicator',
    {
      ...NAME_DESC,
      indicator_types: vocabs(V.INDICATOR_TYPE),
      pattern: STR,
      pattern_type: vocab(V.PATTERN_TYPE),
      pattern_version: STR,
      valid_from: TS,
      valid_until: TS,
      kill_chain_phases: KCP,
    },
    ['pattern', 'pattern_type', 'valid_from'],
    'indicator',
  ),
  sdo(
    'infrastructure',
    {
      ...NAME_DESC,
      infrastructure_types: vocabs(V.INFRASTRUCTURE_TYPE),
      aliases: LIST_STR,
      kill_chain_phases: KCP,
      ...SEEN,
    },
    ['name'],
    'seen',
  ),
  sdo(
    'intrusion-set',
    {
      ...NAME_DESC,
      aliases: LIST_STR,
      ...SEEN,
      goals: LIST_STR,
      resource_level: vocab(V.ATTACK_RESOURCE_LEVEL),
      primary_motivation: vocab(V.ATTACK_MOTIVATION),
      secondary_motivations: vocabs(V.ATTACK_MOTIVATION),
    },
    ['name'],
    'seen',
  ),
  sdo(
    'location',
    {
      ...NAME_DESC,
      latitude: { k: 'number', min: -90, max: 90 },
      longitude: { k: 'number', min: -180, max: 180 },
      precision: { k: 'number', min: 0 },
      region: vocab(V.REGION),
      country: STR,
      administrative_area: STR,
      city: STR,
      street_address: STR,
      postal_code: STR,
    },
    [],
    'location',
  ),
  sdo(
    'malware',
    {
      ...NAME_DESC,
      malware_types: vocabs(V.MALWARE_TYPE),
      is_family: BOOL,
      aliases: LIST_STR,
      kill_chain_phases: KCP,
      ...SEEN,
      operating_system_refs: refs('software'),
      architecture_execution_envs: vocabs(V.PROCESSOR_ARCHITECTURE),
      implementation_languages: vocabs(V.IMPLEMENTATION_LANGUAGE),
      capabilities: vocabs(V.MALWARE_CAPABILITIES),
      sample_refs: refs('file artifact'),
    },
    ['is_family'],
    'malware',
  ),
  sdo(
    'malware-analysis',
    {
      product: STR,
      version: STR,
      host_vm_ref: ref('software'),
      operating_system_ref: ref('software'),
      installed_software_refs: refs('software'),
      configuration_version: STR,
      modules: LIST_STR,
      analysis_engine_version: STR,
      analysis_definition_version: STR,
      submitted: TS,
      analysis_started: TS,
      analysis_ended: TS,
      result_name: STR,
      result: vocab(V.MALWARE_RESULT),
      analysis_sco_refs: refs('SCO'),
      sample_ref: ref('file network-traffic artifact'),
    },
    ['product'],
    'malware-analysis',
  ),
  sdo('note', { abstract: STR, content: STR, authors: LIST_STR, object_refs: refs('ANY') }, [
    'content',
    'object_refs',
  ]),
  sdo(
    'observed-data',
    {
      first_observed: TS,
      last_observed: TS,
      number_observed: { k: 'integer', min: 1, max: 999_999_999 },
      objects: DICT,
      object_refs: refs('SCO relationship sighting'),
    },
    ['first_observed', 'last_observed', 'number_observed'],
    'observed-data',
  ),
  sdo(
    'opinion',
    { explanation: STR, authors: LIST_STR, opinion: vocab(V.OPINION), object_refs: refs('ANY') },
    ['opinion', 'object_refs'],
  ),
  sdo(
    'report',
    { ...NAME_DESC, report_types: vocabs(V.REPORT_TYPE), published: TS, object_refs: refs('ANY') },
    ['name', 'published', 'object_refs'],
  ),
  sdo(
    'threat-actor',
    {
      ...NAME_DESC,
      threat_actor_types: vocabs(V.THREAT_ACTOR_TYPE),
      aliases: LIST_STR,
      ...SEEN,
      roles: vocabs(V.THREAT_ACTOR_ROLE),
      goals: LIST_STR,
      sophistication: vocab(V.THREAT_ACTOR_SOPHISTICATION),
      resource_level: vocab(V.ATTACK_RESOURCE_LEVEL),
      primary_motivation: vocab(V.ATTACK_MOTIVATION),
      secondary_motivations: vocabs(V.ATTACK_MOTIVATION),
      personal_motivations: vocabs(V.ATTACK_MOTIVATION),
    },
    ['name'],
    'seen',
  ),
  sdo(
    'tool',
    {
      ...NAME_DESC,
      tool_types: vocabs(V.TOOL_TYPE),
      aliases: LIST_STR,
      kill_chain_phases: KCP,
      tool_version: STR,
    },
    ['name'],
  ),
  sdo('vulnerability', { ...NAME_DESC }, ['name']),
];

// ---------------------------------------------------------------------------------------------------------------
// SROs (§5)

const SROS: TypeSpec[] = [
  sdo(
    'relationship',
    {
      relationship_type: STR,
      description: STR,
      source_ref: ref('ANY'),
      target_ref: ref('ANY'),
      start_time: TS,
      stop_time: TS,
    },
    ['relationship_type', 'source_ref', 'target_ref'],
    'relationship',
  ),
  sdo(
    'sighting',
    {
      description: STR,
      first_seen: TS,
      last_seen: TS,
      count: { k: 'integer', min: 0, max: 999_999_999 },
      sighting_of_ref: ref('SDO'),
      observed_data_refs: refs('observed-data'),
      where_sighted_refs: refs('identity location'),
      summary: BOOL,
    },
    ['sighting_of_ref'],
    'seen',
  ),
];

// ---------------------------------------------------------------------------------------------------------------
// SCOs (§6) and their predefined extensions

const MIME_PART = spec(
  'mime-part-type',
  { body: STR, body_raw_ref: ref('artifact file'), content_type: STR, content_disposition: STR },
  [],
  false,
  'mime-part',
);
const REGISTRY_VALUE = spec(
  'windows-registry-value-type',
  { name: STR, data: STR, data_type: vocab(V.WINDOWS_REGISTRY_DATATYPE) },
  [],
  false,
  'at-least-one',
);
const X509_V3 = spec(
  'x509-v3-extensions-type',
  Object.fromEntries(
    [
      'basic_constraints',
      'name_constraints',
      'policy_constraints',
      'key_usage',
      'extended_key_usage',
      'subject_key_identifier',
      'authority_key_identifier',
      'subject_alternative_name',
      'issuer_alternative_name',
      'subject_directory_attributes',
      'crl_distribution_points',
      'inhibit_any_policy',
      'certificate_policies',
      'policy_mappings',
    ]
      .map((p): [string, PropSpec] => [p, STR])
      .concat([
        ['private_key_usage_period_not_before', TS],
        ['private_key_usage_period_not_after', TS],
      ]),
  ),
  [],
  false,
  'at-least-one',
);
const ADS = spec('alternate-data-stream-type', { name: STR, hashes: HASHES, size: UINT }, ['name']);
const PE_OPTIONAL_HEADER = spec(
  'windows-pe-optional-header-type',
  {
    magic_hex: HEX,
    major_linker_version: INT,
    minor_linker_version: INT,
    size_of_code: UINT,
    size_of_initialized_data: UINT,
    size_of_uninitialized_data: UINT,
    address_of_entry_point: INT,
    base_of_code: INT,
    base_of_data: INT,
    image_base: INT,
    section_alignment: INT,
    file_alignment: INT,
    major_os_version: INT,
    minor_os_version: INT,
    major_image_version: INT,
    minor_image_version: INT,
    major_subsystem_version: INT,
    minor_subsystem_version: INT,
    win32_version_value_hex: HEX,
    size_of_image: UINT,
    size_of_headers: UINT,
    checksum_hex: HEX,
    subsystem_hex: HEX,
    dll_characteristics_hex: HEX,
    size_of_stack_reserve: UINT,
    size_of_stack_commit: UINT,
    size_of_heap_reserve: UINT,
    size_of_heap_commit: UINT,
    loader_flags_hex: HEX,
    number_of_rva_and_sizes: INT,
    hashes: HASHES,
  },
  [],
  false,
  'at-least-one',
);
const PE_SECTION = spec(
  'windows-pe-section-type',
  { name: STR, size: UINT, entropy: { k: 'number' }, hashes: HASHES },
  ['name'],
);

const ext = (name: string, props: Props, required: readonly string[], check?: string): ObjSpec =>
  spec(name, props, required, false, check);

/** Predefined SCO extensions (§6.x.2), keyed by the SCO type that may carry them. */
export const PREDEFINED_EXTENSIONS: ReadonlyMap<string, ReadonlyMap<string, ObjSpec>> = new Map([
  [
    'file',
    new Map([
      [
        'archive-ext',
        ext('archive-ext', { contains_refs: refs('file directory'), comment: STR }, ['contains_refs']),
      ],
      ['ntfs-ext', ext('ntfs-ext', { sid: STR, alternate_data_streams: objs(ADS) }, [], 'at-least-one')],
      [
        'pdf-ext',
        ext(
          'pdf-ext',
          {
            version: STR,
            is_optimized: BOOL,
            document_info_dict: dictOf('string'),
            pdfid0: STR,
            pdfid1: STR,
          },
          [],
          'at-least-one',
        ),
      ],
      [
        'raster-image-ext',
        ext(
          'raster-image-ext',
          {
            image_height: INT,
            image_width: INT,
            bits_per_pixel: INT,
            exif_tags: dictOf('integer-or-string'),
          },
          [],
          'at-least-one',
        ),
      ],
      [
        'windows-pebinary-ext',
        ext(
          'windows-pebinary-ext',
          {
            pe_type: vocab(V.WINDOWS_PEBINARY_TYPE),
            imphash: STR,
            machine_hex: HEX,
            number_of_sections: UINT,
            time_date_stamp: TS,
            pointer_to_symbol_table_hex: HEX,
            number_of_symbols: UINT,
            size_of_optional_header: UINT,
            characteristics_hex: HEX,
            file_header_hashes: HASHES,
            optional_header: obj(PE_OPTIONAL_HEADER),
            sections: objs(PE_SECTION),
          },
          ['pe_type'],
          'pebinary',
        ),
      ],
    ]),
  ],
  [
    'network-traffic',
    new Map([
      [
        'http-request-ext',
        ext(
          'http-request-ext',
          {
            request_method: STR,
            request_value: STR,
            request_version: STR,
            request_header: dictOf('string-or-strings'),
            message_body_length: UINT,
            message_body_data_ref: ref('artifact'),
          },
          ['request_method', 'request_value'],
        ),
      ],
      [
        'icmp-ext',
        ext('icmp-ext', { icmp_type_hex: HEX, icmp_code_hex: HEX }, ['icmp_type_hex', 'icmp_code_hex']),
      ],
      [
        'socket-ext',
        ext(
          'socket-ext',
          {
            address_family: vocab(V.SOCKET_ADDRESS_FAMILY),
            is_blocking: BOOL,
            is_listening: BOOL,
            options: dictOf('integer'),
            socket_type: vocab(V.SOCKET_TYPE),
            socket_descriptor: UINT,
            socket_handle: INT,
          },
          ['address_family'],
        ),
      ],
      ['tcp-ext', ext('tcp-ext', { src_flags_hex: HEX, dst_flags_hex: HEX }, [], 'at-least-one')],
    ]),
  ],
  [
    'process',
    new Map([
      [
        'windows-process-ext',
        ext(
          'windows-process-ext',
          {
            aslr_enabled: BOOL,
            dep_enabled: BOOL,
            priority: STR,
            owner_sid: STR,
            window_title: STR,
            startup_info: DICT,
            integrity_level: vocab(V.WINDOWS_INTEGRITY_LEVEL),
          },
          [],
          'at-least-one',
        ),
      ],
      [
        'windows-service-ext',
        ext(
          'windows-service-ext',
          {
            service_name: STR,
            descriptions: LIST_STR,
            display_name: STR,
            group_name: STR,
            start_type: vocab(V.WINDOWS_SERVICE_START_TYPE),
            service_dll_refs: refs('file'),
            service_type: vocab(V.WINDOWS_SERVICE_TYPE),
            service_status: vocab(V.WINDOWS_SERVICE_STATUS),
          },
          [],
          'at-least-one',
        ),
      ],
    ]),
  ],
  [
    'user-account',
    new Map([
      [
        'unix-account-ext',
        ext(
          'unix-account-ext',
          { gid: INT, groups: LIST_STR, home_dir: STR, shell: STR },
          [],
          'at-least-one',
        ),
      ],
    ]),
  ],
]);

const SCOS: TypeSpec[] = [
  sco(
    'artifact',
    {
      mime_type: STR,
      payload_bin: { k: 'binary' },
      url: URL,
      hashes: HASHES,
      encryption_algorithm: vocab(V.ENCRYPTION_ALGORITHM),
      decryption_key: STR,
    },
    [],
    ['hashes', 'payload_bin'],
    'artifact',
  ),
  sco('autonomous-system', { number: INT, name: STR, rir: STR }, ['number'], ['number']),
  sco(
    'directory',
    { path: STR, path_enc: STR, ctime: TS, mtime: TS, atime: TS, contains_refs: refs('file directory') },
    ['path'],
    ['path'],
  ),
  sco(
    'domain-name',
    { value: STR, resolves_to_refs: refs('ipv4-addr ipv6-addr domain-name') },
    ['value'],
    ['value'],
    'domain-name',
  ),
  sco(
    'email-addr',
    { value: STR, display_name: STR, belongs_to_ref: ref('user-account') },
    ['value'],
    ['value'],
    'email-addr',
  ),
  sco(
    'email-message',
    {
      is_multipart: BOOL,
      date: TS,
      content_type: STR,
      from_ref: ref('email-addr'),
      sender_ref: ref('email-addr'),
      to_refs: refs('email-addr'),
      cc_refs: refs('email-addr'),
      bcc_refs: refs('email-addr'),
      message_id: STR,
      subject: STR,
      received_lines: LIST_STR,
      additional_header_fields: dictOf('string-or-strings'),
      body: STR,
      body_multipart: objs(MIME_PART),
      raw_email_ref: ref('artifact'),
    },
    ['is_multipart'],
    ['from_ref', 'subject', 'body'],
    'email-message',
  ),
  sco(
    'file',
    {
      hashes: HASHES,
      size: UINT,
      name: STR,
      name_enc: STR,
      magic_number_hex: HEX,
      mime_type: STR,
      ctime: TS,
      mtime: TS,
      atime: TS,
      parent_directory_ref: ref('directory'),
      contains_refs: refs('SCO'),
      content_ref: ref('artifact'),
    },
    [],
    ['hashes', 'name', 'extensions', 'parent_directory_ref'],
    'file',
  ),
  sco(
    'ipv4-addr',
    { value: STR, resolves_to_refs: refs('mac-addr'), belongs_to_refs: refs('autonomous-system') },
    ['value'],
    ['value'],
    'ipv4',
  ),
  sco(
    'ipv6-addr',
    { value: STR, resolves_to_refs: refs('mac-addr'), belongs_to_refs: refs('autonomous-system') },
    ['value'],
    ['value'],
    'ipv6',
  ),
  sco('mac-addr', { value: STR }, ['value'], ['value'], 'mac'),
  sco('mutex', { name: STR }, ['name'], ['name']),
  sco(
    'network-traffic',
    {
      start: TS,
      end: TS,
      is_active: BOOL,
      src_ref: ref('ipv4-addr ipv6-addr mac-addr domain-name'),
      dst_ref: ref('ipv4-addr ipv6-addr mac-addr domain-name'),
      src_port: { k: 'integer', min: 0, max: 65535 },
      dst_port: { k: 'integer', min: 0, max: 65535 },
      protocols: LIST_STR,
      src_byte_count: UINT,
      dst_byte_count: UINT,
      src_packets: UINT,
      dst_packets: UINT,
      ipfix: dictOf('integer-or-string'),
      src_payload_ref: ref('artifact'),
      dst_payload_ref: ref('artifact'),
      encapsulates_refs: refs('network-traffic'),
      encapsulated_by_ref: ref('network-traffic'),
    },
    ['protocols'],
    ['start', 'end', 'src_ref', 'dst_ref', 'src_port', 'dst_port', 'protocols', 'extensions'],
    'network-traffic',
  ),
  sco(
    'process',
    {
      is_hidden: BOOL,
      pid: INT,
      created_time: TS,
      cwd: STR,
      command_line: STR,
      environment_variables: dictOf('string'),
      opened_connection_refs: refs('network-traffic'),
      creator_user_ref: ref('user-account'),
      image_ref: ref('file'),
      parent_ref: ref('process'),
      child_refs: refs('process'),
    },
    [],
    [],
    'process',
  ),
  sco(
    'software',
    { name: STR, cpe: STR, swid: STR, languages: LIST_STR, vendor: STR, version: STR },
    ['name'],
    ['name', 'cpe', 'swid', 'vendor', 'version'],
    'software',
  ),
  sco('url', { value: URL }, ['value'], ['value']),
  sco(
    'user-account',
    {
      user_id: STR,
      credential: STR,
      account_login: STR,
      account_type: vocab(V.ACCOUNT_TYPE),
      display_name: STR,
      is_service_account: BOOL,
      is_privileged: BOOL,
      can_escalate_privs: BOOL,
      is_disabled: BOOL,
      account_created: TS,
      account_expires: TS,
      credential_last_changed: TS,
      account_first_login: TS,
      account_last_login: TS,
    },
    [],
    ['account_type', 'user_id', 'account_login'],
  ),
  sco(
    'windows-registry-key',
    {
      key: STR,
      values: objs(REGISTRY_VALUE),
      modified_time: TS,
      creator_user_ref: ref('user-account'),
      number_of_subkeys: UINT,
    },
    [],
    ['key', 'values'],
    'registry-key',
  ),
  sco(
    'x509-certificate',
    {
      is_self_signed: BOOL,
      hashes: HASHES,
      version: STR,
      serial_number: STR,
      signature_algorithm: STR,
      issuer: STR,
      validity_not_before: TS,
      validity_not_after: TS,
      subject: STR,
      subject_public_key_algorithm: STR,
      subject_public_key_modulus: STR,
      subject_public_key_exponent: INT,
      x509_v3_extensions: obj(X509_V3),
    },
    [],
    ['hashes', 'serial_number'],
    'x509',
  ),
];

// ---------------------------------------------------------------------------------------------------------------
// Meta objects (§7)

const META: TypeSpec[] = [
  {
    ...spec(
      'marking-definition',
      {
        type: STR,
        spec_version: STR,
        id: STR,
        created_by_ref: ref('identity'),
        created: TS_MS,
        external_references: { k: 'external-references' },
        object_marking_refs: refs('marking-definition'),
        granular_markings: { k: 'granular-markings' },
        extensions: { k: 'extensions' },
        name: STR,
        definition_type: STR,
        definition: { k: 'any' },
      },
      ['type', 'spec_version', 'id', 'created'],
      false,
      'marking-definition',
    ),
    category: 'meta',
  },
  {
    ...spec(
      'language-content',
      {
        ...SDO_COMMON,
        object_ref: ref('ANY'),
        object_modified: TS,
        contents: { k: 'any' },
      },
      [...SDO_REQUIRED, 'object_ref', 'contents'],
      false,
      'language-content',
    ),
    category: 'meta',
  },
  {
    ...spec(
      'extension-definition',
      {
        ...SDO_COMMON,
        name: STR,
        description: STR,
        schema: STR,
        version: STR,
        extension_types: vocabs(V.EXTENSION_TYPE),
        extension_properties: LIST_STR,
      },
      [...SDO_REQUIRED, 'created_by_ref', 'name', 'schema', 'version', 'extension_types'],
      false,
      'extension-definition',
    ),
    category: 'meta',
  },
];

/** Common properties a custom object type is checked on (§11.2): the SDO set plus the SCO-only `defanged`. */
export const CUSTOM_COMMON: ObjSpec = spec('custom object', { ...SDO_COMMON, defanged: BOOL }, [
  'type',
  'id',
]);

export const BUNDLE: ObjSpec = spec(
  'bundle',
  { type: STR, id: STR, objects: { k: 'any' } },
  ['type', 'id'],
  true,
);

export const TYPE_SPECS: ReadonlyMap<string, TypeSpec> = new Map(
  [...SDOS, ...SROS, ...SCOS, ...META].map((s) => [s.name, s]),
);

export const isSdoType = (type: string): boolean => SDO_SET.has(type);
export const isScoType = (type: string): boolean => SCO_SET.has(type);
export const isSroType = (type: string): boolean => type === 'relationship' || type === 'sighting';
export const isMetaType = (type: string): boolean => META_TYPES.includes(type);
/** True for every object type STIX 2.1 itself defines (SDO, SRO, SCO, meta objects and `bundle`). */
export const isStixType = (type: string): boolean => TYPE_SPECS.has(type) || type === 'bundle';

// ---------------------------------------------------------------------------------------------------------------
// Relationships (§4.x.2 "Relationships" of each SDO, §6 for SCOs; §3.7 common relationships)

/** Allowed on any pair of objects (§3.7): `derived-from` and `duplicate-of` SHOULD join objects of one type. */
export const COMMON_RELATIONSHIPS: ReadonlySet<string> = new Set([
  'derived-from',
  'duplicate-of',
  'related-to',
]);

const R = (rows: Record<string, string>): ReadonlyMap<string, ReadonlySet<string>> =>
  new Map(Object.entries(rows).map(([k, v]) => [k, new Set(v.split(' '))]));

const ANY_SCO = SCO_TYPES.join(' ');

/** source type → relationship_type → allowed target types. */
export const RELATIONSHIPS: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>> = new Map([
  [
    'attack-pattern',
    R({ delivers: 'malware', targets: 'identity location vulnerability', uses: 'malware tool' }),
  ],
  [
    'campaign',
    R({
      'attributed-to': 'intrusion-set threat-actor',
      compromises: 'infrastructure',
      'originates-from': 'location',
      targets: 'identity location vulnerability',
      uses: 'attack-pattern infrastructure malware tool',
    }),
  ],
  [
    'course-of-action',
    R({
      investigates: 'indicator',
      mitigates: 'attack-pattern indicator malware tool vulnerability',
      remediates: 'malware vulnerability',
    }),
  ],
  ['identity', R({ 'located-at': 'location' })],
  [
    'indicator',
    R({
      indicates: 'attack-pattern campaign infrastructure intrusion-set malware threat-actor tool',
      'based-on': 'observed-data',
    }),
  ],
  [
    'infrastructure',
    R({
      'communicates-with': 'infrastructure ipv4-addr ipv6-addr domain-name url',
      'consists-of': `infrastructure observed-data ${ANY_SCO}`,
      controls: 'infrastructure malware',
      delivers: 'malware',
      has: 'vulnerability',
      hosts: 'tool malware',
      'located-at': 'location',
      uses: 'infrastructure',
    }),
  ],
  [
    'intrusion-set',
    R({
      'attributed-to': 'threat-actor',
      compromises: 'infrastructure',
      hosts: 'infrastructure',
      owns: 'infrastructure',
      'originates-from': 'location',
      targets: 'identity location vulnerability',
      uses: 'attack-pattern infrastructure malware tool',
    }),
  ],
  [
    'malware',
    R({
      'authored-by': 'threat-actor intrusion-set',
      'beacons-to': 'infrastructure',
      'exfiltrates-to': 'infrastructure',
      'communicates-with': 'ipv4-addr ipv6-addr domain-name url',
      controls: 'malware',
      downloads: 'malware tool file',
      drops: 'malware tool file',
      exploits: 'vulnerability',
      'originates-from': 'location',
      targets: 'identity infrastructure location vulnerability',
      uses: 'attack-pattern infrastructure malware tool',
      'variant-of': 'malware',
    }),
  ],
  [
    'malware-analysis',
    R({
      characterizes: 'malware',
      'analysis-of': 'malware',
      'static-analysis-of': 'malware',
      'dynamic-analysis-of': 'malware',
    }),
  ],
  [
    'threat-actor',
    R({
      'attributed-to': 'identity',
      compromises: 'infrastructure',
      hosts: 'infrastructure',
      owns: 'infrastructure',
      impersonates: 'identity',
      'located-at': 'location',
      targets: 'identity location vulnerability',
      uses: 'attack-pattern infrastructure malware tool',
    }),
  ],
  [
    'tool',
    R({
      delivers: 'malware',
      drops: 'malware',
      has: 'vulnerability',
      targets: 'identity infrastructure location vulnerability',
      uses: 'infrastructure',
    }),
  ],
  ['domain-name', R({ 'resolves-to': 'ipv4-addr ipv6-addr domain-name' })],
  ['ipv4-addr', R({ 'resolves-to': 'mac-addr', 'belongs-to': 'autonomous-system' })],
  ['ipv6-addr', R({ 'resolves-to': 'mac-addr', 'belongs-to': 'autonomous-system' })],
]);

/** Every relationship_type the spec names anywhere, to tell a misused spec type from a custom one. */
export const SPEC_RELATIONSHIP_TYPES: ReadonlySet<string> = new Set([
  ...COMMON_RELATIONSHIPS,
  ...[...RELATIONSHIPS.values()].flatMap((m) => [...m.keys()]),
]);

export { SCO_SET, SDO_SET };
