/**
 * One valid object per STIX 2.1 type, taken from (or closely modelled on) the examples in the STIX 2.1 OS
 * specification. SCO ids are the spec's example ids (the spec's SCO example ids are not the ones §2.9's algorithm
 * produces, see sco-id.test.ts; they are still valid UUIDv5s).
 */
export type Obj = Record<string, unknown>;

const IDENTITY = 'identity--f431f809-377b-45e0-aa1c-6a4751cae5ff';
const C = '2016-04-06T20:03:48.000Z';
const common = (type: string, uuid: string, extra: Obj): Obj => ({
  type,
  spec_version: '2.1',
  id: `${type}--${uuid}`,
  created_by_ref: IDENTITY,
  created: C,
  modified: C,
  ...extra,
});
const sco = (type: string, uuid: string, extra: Obj): Obj => ({
  type,
  spec_version: '2.1',
  id: `${type}--${uuid}`,
  ...extra,
});

export const SDO_EXAMPLES: Record<string, Obj> = {
  'attack-pattern': common('attack-pattern', '0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061', {
    name: 'Spear Phishing',
    description: '...',
    external_references: [{ source_name: 'capec', external_id: 'CAPEC-163' }],
    kill_chain_phases: [{ kill_chain_name: 'lockheed-martin-cyber-kill-chain', phase_name: 'delivery' }],
  }),
  campaign: common('campaign', '8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', {
    name: 'Green Group Attacks Against Finance',
    description: 'Campaign by Green Group against a series of targets in the financial services sector.',
    first_seen: '2016-01-01T00:00:00Z',
    last_seen: '2016-03-01T00:00:00Z',
  }),
  'course-of-action': common('course-of-action', '8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', {
    name: 'Add TCP port 80 Filter Rule to the existing Block UDP 1434 Filter',
    description:
      'This is how to add a filter rule to block inbound access to TCP port 80 to the existing UDP 1434 filter ...',
  }),
  grouping: common('grouping', '84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3', {
    name: 'The Black Vine Cyberespionage Group',
    description: 'A simple collection of Black Vine Cyberespionage Group attributed intel',
    context: 'suspicious-activity',
    object_refs: [
      'indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2',
      'campaign--83422c77-904c-4dc1-aff5-5c38f3a2c55c',
      'relationship--f82356ae-fe6c-437c-9c24-6b64314ae68a',
      'file--0203b5c8-f8b6-4ddb-9ad0-527d727f968b',
    ],
  }),
  identity: common('identity', '023d105b-752e-4e3c-941c-7d3f3cb15e9e', {
    name: 'John Smith',
    identity_class: 'individual',
    sectors: ['financial-services'],
  }),
  incident: common('incident', 'a2d6e2b8-4a51-4e8f-9b2b-2b7f4f4b2d3c', { name: 'Breach at ACME' }),
  indicator: common('indicator', '8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', {
    indicator_types: ['malicious-activity'],
    name: 'Poison Ivy Malware',
    description: 'This file is part of Poison Ivy',
    pattern: "[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
    pattern_type: 'stix',
    valid_from: '2016-01-01T00:00:00Z',
  }),
  infrastructure: common('infrastructure', '38c47d93-d984-4fd9-b87b-d69d0841628d', {
    name: 'Poison Ivy C2',
    infrastructure_types: ['command-and-control'],
  }),
  'intrusion-set': common('intrusion-set', '4e78f46f-a023-4e5f-bc24-71b3ca22ec29', {
    name: 'Bobcat Breakin',
    description:
      'Incidents usually feature a shared TTP of a bobcat being released within the building containing network access, scaring users to leave their computers without locking them first. Still determining where the threat actors are getting the bobcats.',
    aliases: ['Zookeeper'],
    goals: ['acquisition-theft', 'harassment', 'damage'],
  }),
  location: common('location', 'a6e9345f-5a15-4c29-8bb3-7dcc5d168d64', {
    region: 'south-eastern-asia',
    country: 'th',
    administrative_area: 'Tak',
    postal_code: '63170',
  }),
  malware: common('malware', '0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061', {
    name: 'Cryptolocker',
    description: 'A variant of the cryptolocker family',
    malware_types: ['ransomware'],
    is_family: false,
  }),
  'malware-analysis': common('malware-analysis', 'd25167b7-fed0-4068-9ccd-a73dd2c5b07c', {
    product: 'microsoft',
    result: 'malicious',
    analysis_sco_refs: ['file--fb0419a8-f09c-57f8-be64-71a80417591c'],
  }),
  note: common('note', '0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061', {
    external_references: [{ source_name: 'job-tracker', external_id: 'job-id-1234' }],
    abstract: 'Tracking Team Note#1',
    content:
      'This note indicates the various steps taken by the threat analyst team to investigate this specific campaign.',
    authors: ['John Doe'],
    object_refs: ['campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'],
  }),
  'observed-data': common('observed-data', 'b67d30ff-02ac-498a-92f9-32f845f448cf', {
    first_observed: '2015-12-21T19:00:00Z',
    last_observed: '2015-12-21T19:00:00Z',
    number_observed: 50,
    object_refs: [
      'ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8',
      'domain-name--ecb120bf-2694-4902-a737-62b74539a41b',
    ],
  }),
  opinion: common('opinion', 'b01efc25-77b4-4003-b18b-f6e24b5cd9f7', {
    object_refs: ['relationship--16d2358f-3b0d-4c88-b047-0da2f7ed4471'],
    opinion: 'strongly-disagree',
    explanation: 'This doesn\u2019t seem like it is feasible.',
  }),
  report: common('report', '84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3', {
    name: 'The Black Vine Cyberespionage Group',
    description: 'A simple report with an indicator and campaign',
    published: '2016-01-20T17:00:00.000Z',
    report_types: ['campaign'],
    object_refs: [
      'indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2',
      'campaign--83422c77-904c-4dc1-aff5-5c38f3a2c55c',
      'relationship--f82356ae-fe6c-437c-9c24-6b64314ae68a',
    ],
  }),
  'threat-actor': common('threat-actor', '8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', {
    threat_actor_types: ['crime-syndicate'],
    name: 'Evil Org',
    description: 'The Evil Org threat actor group',
    aliases: ['Syndicate 1', 'Evil Syndicate 99'],
    roles: ['director'],
    goals: ['Steal bank money', 'Steal credit cards'],
    sophistication: 'advanced',
    resource_level: 'team',
    primary_motivation: 'organizational-gain',
  }),
  tool: common('tool', '8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', {
    tool_types: ['remote-access'],
    name: 'VNC',
  }),
  vulnerability: common('vulnerability', '0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061', {
    name: 'CVE-2016-1234',
    external_references: [{ source_name: 'cve', external_id: 'CVE-2016-1234' }],
  }),
};

export const SRO_EXAMPLES: Record<string, Obj> = {
  relationship: common('relationship', '57b56a43-b8b0-4cba-9deb-34e3e1faed9e', {
    relationship_type: 'indicates',
    source_ref: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
    target_ref: 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b',
  }),
  sighting: common('sighting', 'ee20065d-2555-424f-ad9e-0f8428623c75', {
    first_seen: '2015-12-21T19:00:00Z',
    last_seen: '2015-12-21T19:00:00Z',
    count: 50,
    sighting_of_ref: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
    observed_data_refs: ['observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf'],
    where_sighted_refs: ['identity--b67d30ff-02ac-498a-92f9-32f845f448ff'],
  }),
};

export const SCO_EXAMPLES: Record<string, Obj> = {
  artifact: sco('artifact', '6f437177-6e48-5cf8-9d9e-872a2bddd641', {
    mime_type: 'application/zip',
    payload_bin: 'UEsDBAoAAAAAAA==',
    encryption_algorithm: 'mime-type-indicated',
    decryption_key: 'My voice is my passport',
  }),
  'autonomous-system': sco('autonomous-system', 'f720c34b-98ae-597f-ade5-27dc241e8c74', {
    number: 15139,
    name: 'Slime Industries',
    rir: 'ARIN',
  }),
  directory: sco('directory', '93c0a9b0-520d-545d-9094-1a08ddf46b05', { path: 'C:\\Windows\\System32' }),
  'domain-name': sco('domain-name', '3c10e93f-798e-5a26-a0c1-08156efab7f5', { value: 'example.com' }),
  'email-addr': sco('email-addr', '2d77a846-6264-5d51-b586-e43822ea1ea3', {
    value: 'john@example.com',
    display_name: 'John Doe',
  }),
  'email-message': sco('email-message', '72b7698f-10c2-565a-a2a6-b4996a2f2265', {
    from_ref: 'email-addr--89f52ea8-d6ef-51e9-8fce-6a29236436ed',
    to_refs: ['email-addr--d1b3bf0c-f02a-51a1-8102-11aba7959868'],
    is_multipart: false,
    date: '1997-11-21T15:55:06.000Z',
    subject: 'Saying Hello',
  }),
  file: sco('file', 'e277603e-1060-5ad4-9937-c26c97f1ca68', {
    hashes: { 'SHA-256': 'ceafbfd424be2ca4a5f0402cae090dda2fb0526cf521b60b60077c0f622b285a' },
    name: 'foo.dll',
    extensions: {
      'windows-pebinary-ext': {
        pe_type: 'dll',
        machine_hex: '014c',
        sections: [{ name: '.data', size: 4096, entropy: 7.980693 }],
      },
      'ntfs-ext': { alternate_data_streams: [{ name: 'second.stream', size: 25536 }] },
    },
  }),
  'ipv4-addr': sco('ipv4-addr', 'ff26c055-6336-5bc5-b98d-13d6226742dd', { value: '198.51.100.3' }),
  'ipv6-addr': sco('ipv6-addr', '1e61d36c-a16c-53b7-a80f-2a00161c96b1', {
    value: '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
  }),
  'mac-addr': sco('mac-addr', '65cfcf98-8a6e-5a1b-8f61-379ac4f92d00', { value: 'd2:fb:49:24:37:18' }),
  mutex: sco('mutex', 'eba44954-d4e4-5d3b-814c-2b17dd8de300', { name: '__CLEANSWEEP__' }),
  'network-traffic': sco('network-traffic', '2568d22a-8998-58eb-99ec-3c8ca74f527d', {
    src_ref: 'ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53',
    dst_ref: 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd',
    protocols: ['ipv4', 'tcp'],
    extensions: {
      'http-request-ext': {
        request_method: 'get',
        request_value: '/download.html',
        request_version: 'http/1.1',
        request_header: { 'Accept-Encoding': 'gzip,deflate', Host: 'www.example.com' },
      },
    },
  }),
  process: sco('process', 'f52a906a-0dfc-40bd-92f1-e7778ead38a9', {
    pid: 1221,
    created_time: '2016-01-20T14:11:25.55Z',
    command_line: './gedit-bin --new-window',
    image_ref: 'file--e04f22d1-be2c-59de-add8-10f61d15fe20',
  }),
  software: sco('software', 'a1827f6d-ca53-5605-9e93-4316cd22a00a', {
    name: 'Word',
    cpe: 'cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*',
    version: '2002',
    vendor: 'Microsoft',
  }),
  url: sco('url', 'c1477287-23ac-5971-a010-5c287877fa60', {
    value: 'https://example.com/research/index.html',
  }),
  'user-account': sco('user-account', '0d5b424b-93b8-5cd8-ac36-306e1789d63c', {
    user_id: '1001',
    account_login: 'jdoe',
    account_type: 'unix',
    display_name: 'John Doe',
    is_service_account: false,
    can_escalate_privs: true,
    account_created: '2016-01-20T12:31:12Z',
    extensions: {
      'unix-account-ext': { gid: 1001, groups: ['wheel'], home_dir: '/home/jdoe', shell: '/bin/bash' },
    },
  }),
  'windows-registry-key': sco('windows-registry-key', '2ba37ae7-2745-5082-9dfd-9486dad41016', {
    key: 'hkey_local_machine\\system\\bar\\foo',
    values: [
      { name: 'Foo', data: 'qwerty', data_type: 'REG_SZ' },
      { name: 'Bar', data: '42', data_type: 'REG_DWORD' },
    ],
  }),
  'x509-certificate': sco('x509-certificate', '463d7b2a-8516-5a50-a3d7-6f801465d5de', {
    issuer: 'C=ZA, ST=Western Cape, L=Cape Town, O=Thawte Consulting cc, CN=Thawte Server CA',
    validity_not_before: '2016-03-12T12:00:00Z',
    validity_not_after: '2016-08-21T12:00:00Z',
    subject: 'C=US, ST=Maryland, L=Pasadena, O=Brent Baccala, OU=FreeSoft, CN=www.freesoft.org',
    serial_number: '36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49:32:0a:b7:06',
  }),
};

export const META_EXAMPLES: Record<string, Obj> = {
  'marking-definition': {
    type: 'marking-definition',
    spec_version: '2.1',
    id: 'marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f',
    created: '2017-04-14T13:07:49.812Z',
    definition_type: 'statement',
    definition: { statement: 'Copyright (c) Stark Industries 2017.' },
  },
  'language-content': {
    type: 'language-content',
    spec_version: '2.1',
    id: 'language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d',
    created: '2017-02-08T21:31:22.007Z',
    modified: '2017-02-08T21:31:22.007Z',
    object_ref: 'campaign--12a111f0-b824-4baf-a224-83b80237a094',
    object_modified: '2017-02-08T21:31:22.007Z',
    contents: {
      de: { name: 'Bank Angriff 1', description: 'Weitere Informationen über Banküberfall' },
      fr: { name: 'Attaque Bank 1', description: "Plus d'informations sur la crise bancaire" },
    },
  },
  'extension-definition': {
    type: 'extension-definition',
    spec_version: '2.1',
    id: 'extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62',
    created_by_ref: 'identity--11b76a96-5d2b-45e0-8a5a-f6994f370731',
    created: '2014-02-20T09:16:08.989Z',
    modified: '2014-02-20T09:16:08.989Z',
    name: 'New SDO 1',
    description: 'This schema creates a new object type called my-favorite-sdo-1',
    schema: 'https://www.example.com/schema-my-favorite-sdo-1/v1/',
    version: '1.2.1',
    extension_types: ['new-sdo'],
  },
};

export const ALL_EXAMPLES: Record<string, Obj> = {
  ...SDO_EXAMPLES,
  ...SRO_EXAMPLES,
  ...SCO_EXAMPLES,
  ...META_EXAMPLES,
};

export const clone = <T>(o: T): T => structuredClone(o);
