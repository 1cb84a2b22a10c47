/**
 * STIX 2.1 wire types: objects as the spec (OASIS Standard, 10 June 2021) serialises them, with the spec's
 * snake_case property names. These describe valid input; they are not database shapes. Unknown input is
 * `unknown` until `validateObject` has passed it.
 */

/** Any STIX object, spec-defined or custom; what storage and services pass around. */
export type StixObject = { readonly type: string; readonly id: string; readonly [key: string]: unknown };

export type Identifier = string;
/** RFC 3339 UTC timestamp, `YYYY-MM-DDTHH:mm:ss[.s+]Z`. */
export type Timestamp = string;
export type Hashes = Readonly<Record<string, string>>;
export type Dictionary = Readonly<Record<string, unknown>>;

export interface ExternalReference {
  readonly source_name: string;
  readonly description?: string;
  readonly url?: string;
  readonly hashes?: Hashes;
  readonly external_id?: string;
}

export interface KillChainPhase {
  readonly kill_chain_name: string;
  readonly phase_name: string;
}

export interface GranularMarking {
  readonly lang?: string;
  readonly marking_ref?: Identifier;
  readonly selectors: readonly string[];
}

export type Extensions = Readonly<Record<string, Dictionary>>;

interface Base {
  readonly type: string;
  readonly id: Identifier;
  readonly spec_version?: '2.1';
  readonly object_marking_refs?: readonly Identifier[];
  readonly granular_markings?: readonly GranularMarking[];
  readonly extensions?: Extensions;
  readonly [custom: string]: unknown;
}

/** Common properties of SDOs, SROs, language-content and extension-definition (§3.2). */
export interface StixCommon extends Base {
  readonly spec_version: '2.1';
  readonly created_by_ref?: Identifier;
  readonly created: Timestamp;
  readonly modified: Timestamp;
  readonly revoked?: boolean;
  readonly labels?: readonly string[];
  readonly confidence?: number;
  readonly lang?: string;
  readonly external_references?: readonly ExternalReference[];
}

interface Named {
  readonly name: string;
  readonly description?: string;
}
interface Seen {
  readonly first_seen?: Timestamp;
  readonly last_seen?: Timestamp;
}

// SDOs (§4)
export interface AttackPattern extends StixCommon, Named {
  readonly type: 'attack-pattern';
  readonly aliases?: readonly string[];
  readonly kill_chain_phases?: readonly KillChainPhase[];
}
export interface Campaign extends StixCommon, Named, Seen {
  readonly type: 'campaign';
  readonly aliases?: readonly string[];
  readonly objective?: string;
}
export interface CourseOfAction extends StixCommon, Named {
  readonly type: 'course-of-action';
}
export interface Grouping extends StixCommon {
  readonly type: 'grouping';
  readonly name?: string;
  readonly description?: string;
  readonly context: string;
  readonly object_refs: readonly Identifier[];
}
export interface Identity extends StixCommon, Named {
  readonly type: 'identity';
  readonly roles?: readonly string[];
  readonly identity_class?: string;
  readonly sectors?: readonly string[];
  readonly contact_information?: string;
}
export interface Incident extends StixCommon, Named {
  readonly type: 'incident';
  readonly kill_chain_phases?: readonly KillChainPhase[];
}
export interface Indicator extends StixCommon {
  readonly type: 'indicator';
  readonly name?: string;
  readonly description?: string;
  readonly indicator_types?: readonly string[];
  readonly pattern: string;
  readonly pattern_type: string;
  readonly pattern_version?: string;
  readonly valid_from: Timestamp;
  readonly valid_until?: Timestamp;
  readonly kill_chain_phases?: readonly KillChainPhase[];
}
export interface Infrastructure extends StixCommon, Named, Seen {
  readonly type: 'infrastructure';
  readonly infrastructure_types?: readonly string[];
  readonly aliases?: readonly string[];
  readonly kill_chain_phases?: readonly KillChainPhase[];
}
export interface IntrusionSet extends StixCommon, Named, Seen {
  readonly type: 'intrusion-set';
  readonly aliases?: readonly string[];
  readonly goals?: readonly string[];
  readonly resource_level?: string;
  readonly primary_motivation?: string;
  readonly secondary_motivations?: readonly string[];
}
export interface Location extends StixCommon {
  readonly type: 'location';
  readonly name?: string;
  readonly description?: string;
  readonly latitude?: number;
  readonly longitude?: number;
  readonly precision?: number;
  readonly region?: string;
  readonly country?: string;
  readonly administrative_area?: string;
  readonly city?: string;
  readonly street_address?: string;
  readonly postal_code?: string;
}
export interface Malware extends StixCommon, Seen {
  readonly type: 'malware';
  readonly name?: string;
  readonly description?: string;
  readonly malware_types?: readonly string[];
  readonly is_family: boolean;
  readonly aliases?: readonly string[];
  readonly kill_chain_phases?: readonly KillChainPhase[];
  readonly operating_system_refs?: readonly Identifier[];
  readonly architecture_execution_envs?: readonly string[];
  readonly implementation_languages?: readonly string[];
  readonly capabilities?: readonly string[];
  readonly sample_refs?: readonly Identifier[];
}
export interface MalwareAnalysis extends StixCommon {
  readonly type: 'malware-analysis';
  readonly product: string;
  readonly version?: string;
  readonly host_vm_ref?: Identifier;
  readonly operating_system_ref?: Identifier;
  readonly installed_software_refs?: readonly Identifier[];
  readonly configuration_version?: string;
  readonly modules?: readonly string[];
  readonly analysis_engine_version?: string;
  readonly analysis_definition_version?: string;
  readonly submitted?: Timestamp;
  readonly analysis_started?: Timestamp;
  readonly analysis_ended?: Timestamp;
  readonly result_name?: string;
  readonly result?: string;
  readonly analysis_sco_refs?: readonly Identifier[];
  readonly sample_ref?: Identifier;
}
export interface Note extends StixCommon {
  readonly type: 'note';
  readonly abstract?: string;
  readonly content: string;
  readonly authors?: readonly string[];
  readonly object_refs: readonly Identifier[];
}
export interface ObservedData extends StixCommon {
  readonly type: 'observed-data';
  readonly first_observed: Timestamp;
  readonly last_observed: Timestamp;
  readonly number_observed: number;
  /** Deprecated in 2.1. */
  readonly objects?: Dictionary;
  readonly object_refs?: readonly Identifier[];
}
export interface Opinion extends StixCommon {
  readonly type: 'opinion';
  readonly explanation?: string;
  readonly authors?: readonly string[];
  readonly opinion: 'strongly-disagree' | 'disagree' | 'neutral' | 'agree' | 'strongly-agree';
  readonly object_refs: readonly Identifier[];
}
export interface Report extends StixCommon, Named {
  readonly type: 'report';
  readonly report_types?: readonly string[];
  readonly published: Timestamp;
  readonly object_refs: readonly Identifier[];
}
export interface ThreatActor extends StixCommon, Named, Seen {
  readonly type: 'threat-actor';
  readonly threat_actor_types?: readonly string[];
  readonly aliases?: readonly string[];
  readonly roles?: readonly string[];
  readonly goals?: readonly string[];
  readonly sophistication?: string;
  readonly resource_level?: string;
  readonly primary_motivation?: string;
  readonly secondary_motivations?: readonly string[];
  readonly personal_motivations?: readonly string[];
}
export interface Tool extends StixCommon, Named {
  readonly type: 'tool';
  readonly tool_types?: readonly string[];
  readonly aliases?: readonly string[];
  readonly kill_chain_phases?: readonly KillChainPhase[];
  readonly tool_version?: string;
}
export interface Vulnerability extends StixCommon, Named {
  readonly type: 'vulnerability';
}

export type Sdo =
  | AttackPattern
  | Campaign
  | CourseOfAction
  | Grouping
  | Identity
  | Incident
  | Indicator
  | Infrastructure
  | IntrusionSet
  | Location
  | Malware
  | MalwareAnalysis
  | Note
  | ObservedData
  | Opinion
  | Report
  | ThreatActor
  | Tool
  | Vulnerability;

// SROs (§5)
export interface Relationship extends StixCommon {
  readonly type: 'relationship';
  readonly relationship_type: string;
  readonly description?: string;
  readonly source_ref: Identifier;
  readonly target_ref: Identifier;
  readonly start_time?: Timestamp;
  readonly stop_time?: Timestamp;
}
export interface Sighting extends StixCommon, Seen {
  readonly type: 'sighting';
  readonly description?: string;
  readonly count?: number;
  readonly sighting_of_ref: Identifier;
  readonly observed_data_refs?: readonly Identifier[];
  readonly where_sighted_refs?: readonly Identifier[];
  readonly summary?: boolean;
}
export type Sro = Relationship | Sighting;

// SCOs (§6)
export interface ScoCommon extends Base {
  readonly defanged?: boolean;
}
export interface Artifact extends ScoCommon {
  readonly type: 'artifact';
  readonly mime_type?: string;
  readonly payload_bin?: string;
  readonly url?: string;
  readonly hashes?: Hashes;
  readonly encryption_algorithm?: 'AES-256-GCM' | 'ChaCha20-Poly1305' | 'mime-type-indicated';
  readonly decryption_key?: string;
}
export interface AutonomousSystem extends ScoCommon {
  readonly type: 'autonomous-system';
  readonly number: number;
  readonly name?: string;
  readonly rir?: string;
}
export interface Directory extends ScoCommon {
  readonly type: 'directory';
  readonly path: string;
  readonly path_enc?: string;
  readonly ctime?: Timestamp;
  readonly mtime?: Timestamp;
  readonly atime?: Timestamp;
  readonly contains_refs?: readonly Identifier[];
}
export interface DomainName extends ScoCommon {
  readonly type: 'domain-name';
  readonly value: string;
  readonly resolves_to_refs?: readonly Identifier[];
}
export interface EmailAddr extends ScoCommon {
  readonly type: 'email-addr';
  readonly value: string;
  readonly display_name?: string;
  readonly belongs_to_ref?: Identifier;
}
export interface MimePart {
  readonly body?: string;
  readonly body_raw_ref?: Identifier;
  readonly content_type?: string;
  readonly content_disposition?: string;
}
export interface EmailMessage extends ScoCommon {
  readonly type: 'email-message';
  readonly is_multipart: boolean;
  readonly date?: Timestamp;
  readonly content_type?: string;
  readonly from_ref?: Identifier;
  readonly sender_ref?: Identifier;
  readonly to_refs?: readonly Identifier[];
  readonly cc_refs?: readonly Identifier[];
  readonly bcc_refs?: readonly Identifier[];
  readonly message_id?: string;
  readonly subject?: string;
  readonly received_lines?: readonly string[];
  readonly additional_header_fields?: Dictionary;
  readonly body?: string;
  readonly body_multipart?: readonly MimePart[];
  readonly raw_email_ref?: Identifier;
}
export interface File extends ScoCommon {
  readonly type: 'file';
  readonly hashes?: Hashes;
  readonly size?: number;
  readonly name?: string;
  readonly name_enc?: string;
  readonly magic_number_hex?: string;
  readonly mime_type?: string;
  readonly ctime?: Timestamp;
  readonly mtime?: Timestamp;
  readonly atime?: Timestamp;
  readonly parent_directory_ref?: Identifier;
  readonly contains_refs?: readonly Identifier[];
  readonly content_ref?: Identifier;
}
export interface Ipv4Addr extends ScoCommon {
  readonly type: 'ipv4-addr';
  readonly value: string;
  readonly resolves_to_refs?: readonly Identifier[];
  readonly belongs_to_refs?: readonly Identifier[];
}
export interface Ipv6Addr extends ScoCommon {
  readonly type: 'ipv6-addr';
  readonly value: string;
  readonly resolves_to_refs?: readonly Identifier[];
  readonly belongs_to_refs?: readonly Identifier[];
}
export interface MacAddr extends ScoCommon {
  readonly type: 'mac-addr';
  readonly value: string;
}
export interface Mutex extends ScoCommon {
  readonly type: 'mutex';
  readonly name: string;
}
export interface NetworkTraffic extends ScoCommon {
  readonly type: 'network-traffic';
  readonly start?: Timestamp;
  readonly end?: Timestamp;
  readonly is_active?: boolean;
  readonly src_ref?: Identifier;
  readonly dst_ref?: Identifier;
  readonly src_port?: number;
  readonly dst_port?: number;
  readonly protocols: readonly string[];
  readonly src_byte_count?: number;
  readonly dst_byte_count?: number;
  readonly src_packets?: number;
  readonly dst_packets?: number;
  readonly ipfix?: Dictionary;
  readonly src_payload_ref?: Identifier;
  readonly dst_payload_ref?: Identifier;
  readonly encapsulates_refs?: readonly Identifier[];
  readonly encapsulated_by_ref?: Identifier;
}
export interface Process extends ScoCommon {
  readonly type: 'process';
  readonly is_hidden?: boolean;
  readonly pid?: number;
  readonly created_time?: Timestamp;
  readonly cwd?: string;
  readonly command_line?: string;
  readonly environment_variables?: Dictionary;
  readonly opened_connection_refs?: readonly Identifier[];
  readonly creator_user_ref?: Identifier;
  readonly image_ref?: Identifier;
  readonly parent_ref?: Identifier;
  readonly child_refs?: readonly Identifier[];
}
export interface Software extends ScoCommon {
  readonly type: 'software';
  readonly name: string;
  readonly cpe?: string;
  readonly swid?: string;
  readonly languages?: readonly string[];
  readonly vendor?: string;
  readonly version?: string;
}
export interface Url extends ScoCommon {
  readonly type: 'url';
  readonly value: string;
}
export interface UserAccount extends ScoCommon {
  readonly type: 'user-account';
  readonly user_id?: string;
  readonly credential?: string;
  readonly account_login?: string;
  readonly account_type?: string;
  readonly display_name?: string;
  readonly is_service_account?: boolean;
  readonly is_privileged?: boolean;
  readonly can_escalate_privs?: boolean;
  readonly is_disabled?: boolean;
  readonly account_created?: Timestamp;
  readonly account_expires?: Timestamp;
  readonly credential_last_changed?: Timestamp;
  readonly account_first_login?: Timestamp;
  readonly account_last_login?: Timestamp;
}
export interface WindowsRegistryValue {
  readonly name?: string;
  readonly data?: string;
  readonly data_type?: string;
}
export interface WindowsRegistryKey extends ScoCommon {
  readonly type: 'windows-registry-key';
  readonly key?: string;
  readonly values?: readonly WindowsRegistryValue[];
  readonly modified_time?: Timestamp;
  readonly creator_user_ref?: Identifier;
  readonly number_of_subkeys?: number;
}
export interface X509Certificate extends ScoCommon {
  readonly type: 'x509-certificate';
  readonly is_self_signed?: boolean;
  readonly hashes?: Hashes;
  readonly version?: string;
  readonly serial_number?: string;
  readonly signature_algorithm?: string;
  readonly issuer?: string;
  readonly validity_not_before?: Timestamp;
  readonly validity_not_after?: Timestamp;
  readonly subject?: string;
  readonly subject_public_key_algorithm?: string;
  readonly subject_public_key_modulus?: string;
  readonly subject_public_key_exponent?: number;
  readonly x509_v3_extensions?: Readonly<Record<string, string>>;
}
export type Sco =
  | Artifact
  | AutonomousSystem
  | Directory
  | DomainName
  | EmailAddr
  | EmailMessage
  | File
  | Ipv4Addr
  | Ipv6Addr
  | MacAddr
  | Mutex
  | NetworkTraffic
  | Process
  | Software
  | Url
  | UserAccount
  | WindowsRegistryKey
  | X509Certificate;

// Meta objects (§7)
export interface MarkingDefinition extends Base {
  readonly type: 'marking-definition';
  readonly spec_version: '2.1';
  readonly created_by_ref?: Identifier;
  readonly created: Timestamp;
  readonly external_references?: readonly ExternalReference[];
  readonly name?: string;
  readonly definition_type?: string;
  readonly definition?: Dictionary;
}
export interface LanguageContent extends StixCommon {
  readonly type: 'language-content';
  readonly object_ref: Identifier;
  readonly object_modified?: Timestamp;
  readonly contents: Readonly<Record<string, Dictionary>>;
}
export interface ExtensionDefinition extends StixCommon {
  readonly type: 'extension-definition';
  readonly created_by_ref: Identifier;
  readonly name: string;
  readonly description?: string;
  readonly schema: string;
  readonly version: string;
  readonly extension_types: readonly (
    'new-sdo' | 'new-sco' | 'new-sro' | 'property-extension' | 'toplevel-property-extension'
  )[];
  readonly extension_properties?: readonly string[];
}

export interface Bundle {
  readonly type: 'bundle';
  readonly id: Identifier;
  readonly objects?: readonly StixObject[];
}
