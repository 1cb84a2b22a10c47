/**
 * Open vocabularies (`-ov`, values outside them are allowed: a warning) and enumerations (`-enum`, closed: an
 * error) of STIX 2.1 §10, spelled exactly as the spec does.
 */
export interface Vocab {
  readonly name: string;
  readonly open: boolean;
  readonly values: ReadonlySet<string>;
}

const ov = (name: string, values: string): Vocab => ({
  name,
  open: true,
  values: new Set(values.split(' ')),
});
const en = (name: string, values: string): Vocab => ({
  name,
  open: false,
  values: new Set(values.split(' ')),
});

export const ACCOUNT_TYPE = ov(
  'account-type-ov',
  'facebook ldap nis openid radius skype tacacs twitter unix windows-local windows-domain',
);
export const ATTACK_MOTIVATION = ov(
  'attack-motivation-ov',
  'accidental coercion dominance ideology notoriety organizational-gain personal-gain personal-satisfaction revenge unpredictable',
);
export const ATTACK_RESOURCE_LEVEL = ov(
  'attack-resource-level-ov',
  'individual club contest team organization government',
);
export const GROUPING_CONTEXT = ov('grouping-context-ov', 'suspicious-activity malware-analysis unspecified');
export const HASH_ALGORITHM = ov(
  'hash-algorithm-ov',
  'MD5 SHA-1 SHA-256 SHA-512 SHA3-256 SHA3-512 SSDEEP TLSH',
);
export const IDENTITY_CLASS = ov('identity-class-ov', 'individual group system organization class unknown');
export const IMPLEMENTATION_LANGUAGE = ov(
  'implementation-language-ov',
  'applescript bash c c++ c# go java javascript lua objective-c perl php powershell python ruby scala swift typescript visual-basic x86-32 x86-64',
);
export const INDICATOR_TYPE = ov(
  'indicator-type-ov',
  'anomalous-activity anonymization benign compromised malicious-activity attribution unknown',
);
export const INDUSTRY_SECTOR = ov(
  'industry-sector-ov',
  'agriculture aerospace automotive chemical commercial communications construction defense education energy entertainment financial-services government emergency-services government-local government-national government-public-services government-regional healthcare hospitality-leisure infrastructure dams nuclear water insurance manufacturing mining non-profit pharmaceuticals retail technology telecommunications transportation utilities',
);
export const INFRASTRUCTURE_TYPE = ov(
  'infrastructure-type-ov',
  'amplification anonymization botnet command-and-control control-system exfiltration firewall hosting-malware hosting-target-lists phishing reconnaissance routers-switches staging workstation unknown',
);
export const MALWARE_RESULT = ov('malware-result-ov', 'malicious suspicious benign unknown');
export const MALWARE_CAPABILITIES = ov(
  'malware-capabilities-ov',
  'accesses-remote-machines anti-debugging anti-disassembly anti-emulation anti-memory-forensics anti-sandbox anti-vm captures-input-peripherals captures-output-peripherals captures-system-state-data cleans-traces-of-infection commits-fraud communicates-with-c2 compromises-data-availability compromises-data-integrity compromises-system-availability controls-local-machine degrades-security-software degrades-system-updates determines-c2-server emails-spam escalates-privileges evades-av exfiltrates-data fingerprints-host hides-artifacts hides-executing-code infects-files infects-remote-machines installs-other-components persists-after-system-reboot prevents-artifact-access prevents-artifact-deletion probes-network-environment self-modifies steals-authentication-credentials violates-system-operational-integrity',
);
export const MALWARE_TYPE = ov(
  'malware-type-ov',
  'adware backdoor bot bootkit ddos downloader dropper exploit-kit keylogger ransomware remote-access-trojan resource-exploitation rogue-security-software rootkit screen-capture spyware trojan unknown virus webshell wiper worm',
);
export const PATTERN_TYPE = ov('pattern-type-ov', 'stix pcre sigma snort suricata yara');
export const PROCESSOR_ARCHITECTURE = ov(
  'processor-architecture-ov',
  'alpha arm ia-64 mips powerpc sparc x86 x86-64',
);
export const REGION = ov(
  'region-ov',
  'africa eastern-africa middle-africa northern-africa southern-africa western-africa americas caribbean central-america latin-america-caribbean northern-america south-america asia central-asia eastern-asia southern-asia south-eastern-asia western-asia europe eastern-europe northern-europe southern-europe western-europe oceania antarctica australia-new-zealand melanesia micronesia polynesia',
);
export const REPORT_TYPE = ov(
  'report-type-ov',
  'attack-pattern campaign identity indicator intrusion-set malware observed-data threat-actor threat-report tool vulnerability',
);
export const THREAT_ACTOR_TYPE = ov(
  'threat-actor-type-ov',
  'activist competitor crime-syndicate criminal hacker insider-accidental insider-disgruntled nation-state sensationalist spy terrorist unknown',
);
export const THREAT_ACTOR_ROLE = ov(
  'threat-actor-role-ov',
  'agent director independent infrastructure-architect infrastructure-operator malware-author sponsor',
);
export const THREAT_ACTOR_SOPHISTICATION = ov(
  'threat-actor-sophistication-ov',
  'none minimal intermediate advanced expert innovator strategic',
);
export const TOOL_TYPE = ov(
  'tool-type-ov',
  'denial-of-service exploitation information-gathering network-capture credential-exploitation remote-access vulnerability-scanning unknown',
);
export const WINDOWS_PEBINARY_TYPE = ov('windows-pebinary-type-ov', 'dll exe sys');

export const ENCRYPTION_ALGORITHM = en(
  'encryption-algorithm-enum',
  'AES-256-GCM ChaCha20-Poly1305 mime-type-indicated',
);
export const EXTENSION_TYPE = en(
  'extension-type-enum',
  'new-sdo new-sco new-sro property-extension toplevel-property-extension',
);
export const SOCKET_ADDRESS_FAMILY = en(
  'network-socket-address-family-enum',
  'AF_UNSPEC AF_INET AF_IPX AF_APPLETALK AF_NETBIOS AF_INET6 AF_IRDA AF_BTH',
);
export const SOCKET_TYPE = en(
  'network-socket-type-enum',
  'SOCK_STREAM SOCK_DGRAM SOCK_RAW SOCK_RDM SOCK_SEQPACKET',
);
export const OPINION = en('opinion-enum', 'strongly-disagree disagree neutral agree strongly-agree');
export const WINDOWS_INTEGRITY_LEVEL = en('windows-integrity-level-enum', 'low medium high system');
export const WINDOWS_REGISTRY_DATATYPE = en(
  'windows-registry-datatype-enum',
  'REG_NONE REG_SZ REG_EXPAND_SZ REG_BINARY REG_DWORD REG_DWORD_BIG_ENDIAN REG_DWORD_LITTLE_ENDIAN REG_LINK REG_MULTI_SZ REG_RESOURCE_LIST REG_FULL_RESOURCE_DESCRIPTION REG_RESOURCE_REQUIREMENTS_LIST REG_QWORD REG_INVALID_TYPE',
);
export const WINDOWS_SERVICE_START_TYPE = en(
  'windows-service-start-type-enum',
  'SERVICE_AUTO_START SERVICE_BOOT_START SERVICE_DEMAND_START SERVICE_DISABLED SERVICE_SYSTEM_ALERT',
);
export const WINDOWS_SERVICE_TYPE = en(
  'windows-service-type-enum',
  'SERVICE_KERNEL_DRIVER SERVICE_FILE_SYSTEM_DRIVER SERVICE_WIN32_OWN_PROCESS SERVICE_WIN32_SHARE_PROCESS',
);
export const WINDOWS_SERVICE_STATUS = en(
  'windows-service-status-enum',
  'SERVICE_CONTINUE_PENDING SERVICE_PAUSE_PENDING SERVICE_PAUSED SERVICE_RUNNING SERVICE_START_PENDING SERVICE_STOP_PENDING SERVICE_STOPPED',
);
/** TLP 1.0 levels of the `tlp` marking object type (§7.2.1.4). */
export const TLP1_LEVEL = en('tlp-level', 'white green amber red');
