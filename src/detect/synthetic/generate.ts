/**
 * Synthetic Exchange/IIS/event logs with ground truth. No real Exchange logs are available, so this writes a
 * realistic tree — HttpProxy CSV for every protocol, ECP server, OAB generator, IIS W3C (front and back end),
 * Application event log as Event Viewer CSV and as XML, and a web-shell folder listing — full of benign traffic
 * (including near misses the detectors must not flag) plus attack traces modelled on the public March 2021
 * descriptions. It returns exactly which file/line holds which trace and which observables, so tests can demand
 * 100 % recall and zero false positives. Deterministic for a given seed.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DetectorId } from '../detectors.js';
import { HTTPPROXY_DEFAULT_FIELDS } from '../formats.js';
import { Prng } from './prng.js';

/** Values the 2021 campaign used (Volexity IPs, CHIRP user agents, MSTIC/signature-base hashes and names). */
export const CAMPAIGN = {
  ips: [
    '103.77.192.219',
    '104.140.114.110',
    '104.250.191.110',
    '108.61.246.56',
    '149.28.14.163',
    '157.230.221.198',
    '167.99.168.251',
    '185.250.151.72',
    '192.81.208.169',
    '203.160.69.66',
    '211.56.98.146',
    '5.254.43.18',
    '80.92.205.81',
  ],
  userAgents: [
    'antSword/v2.1',
    'ExchangeServicesClient/0.0.0.0',
    'python-requests/2.25.1',
    'python-requests/2.19.1',
  ],
  webshellSha256: [
    'b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0',
    '097549cf7d0f76f0d99edf8b2d91c60977fd6a96e4b8c3c94b0b1733dc026d3e',
    '2b6f1ebb2208e93ade4a6424555d6a8341fd6d9f60c25e44afe11008f5c1aad1',
  ],
} as const;

export interface PlantedTrace {
  readonly id: string;
  /** Path relative to the output folder, with '/' separators. */
  readonly file: string;
  readonly line: number;
  /** Every detector that must fire on this line. */
  readonly detectors: readonly DetectorId[];
  /** Observables on the line, as `type:value` (`ipv4-addr:…`, `user-agent:…`, `sha256:…`, `file:<full path>`). */
  readonly observables: readonly string[];
}

export interface GroundTruth {
  readonly files: string[];
  readonly traces: PlantedTrace[];
  readonly bytes: number;
  readonly lines: number;
}

export interface GenerateOptions {
  /** Approximate total size to write, in bytes. */
  readonly targetBytes: number;
  readonly seed?: number;
  /** Plant attack traces (default true); false gives benign-only logs. */
  readonly attacks?: boolean;
  /** Copies of each attack trace (default 2). */
  readonly copies?: number;
  /** Start of the one simulated day (default 2021-03-03T00:00:00Z). */
  readonly start?: string;
}

const X = 'C:\\Program Files\\Microsoft\\Exchange Server\\V15';
const PROTOCOLS = [
  'Autodiscover',
  'Ecp',
  'Eas',
  'Ews',
  'Mapi',
  'Oab',
  'Owa',
  'OwaCalendar',
  'PowerShell',
  'RpcHttp',
];
const USERS = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'oscar',
];
const BENIGN_UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.82 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0',
  'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)',
  'Apple-iPhone12C1/1802.67',
  'Outlook-iOS/709.2226530.prod.iphone (4.2109.0)',
  'ExchangeServicesClient/15.01.2106.002',
  'python-requests/2.31.0',
  'MSRPC',
  'Microsoft WinRM Client',
];
const IIS_FIELDS =
  'date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status time-taken';
const HP_COLUMNS = HTTPPROXY_DEFAULT_FIELDS.split(',');
const HP_INDEX = new Map(HP_COLUMNS.map((c, i) => [c, i]));

const csvQuote = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const xmlEscape = (v: string): string =>
  v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');

class LogFile {
  lines = 0;
  bytes = 0;
  private buf: string[] = [];
  private bufLen = 0;
  private readonly stream: WriteStream;
  constructor(
    readonly rel: string,
    root: string,
  ) {
    this.stream = createWriteStream(join(root, rel));
  }
  /** Writes one logical record (may contain newlines); returns the 1-based line it starts on. */
  async write(text: string): Promise<number> {
    const at = this.lines + 1;
    let nl = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) nl++;
    this.lines += nl;
    const s = text + '\r\n';
    this.buf.push(s);
    this.bufLen += s.length;
    this.bytes += s.length;
    if (this.bufLen > 1 << 20) await this.flush();
    return at;
  }
  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const data = this.buf.join('');
    this.buf = [];
    this.bufLen = 0;
    if (!this.stream.write(data)) await new Promise<void>((r) => this.stream.once('drain', () => r()));
  }
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
}

interface Ctx {
  readonly rng: Prng;
  /** ISO time of the current position in the simulated day. */
  time: string;
  readonly publicIps: readonly string[];
}

const privateIp = (rng: Prng): string => `10.1.${rng.int(40)}.${1 + rng.int(250)}`;
const clientIp = (c: Ctx): string => (c.rng.next() < 0.6 ? privateIp(c.rng) : c.rng.pick(c.publicIps));

function httpProxyRow(values: Record<string, string>): string {
  const row = new Array<string>(HP_COLUMNS.length).fill('');
  for (const [k, v] of Object.entries(values)) {
    const i = HP_INDEX.get(k);
    if (i !== undefined) row[i] = csvQuote(v);
  }
  return row.join(',');
}

function httpProxyBenign(c: Ctx, protocol: string): string {
  const r = c.rng;
  const user = r.pick(USERS);
  const stems: Record<string, [string, string, string]> = {
    Autodiscover: ['/autodiscover/autodiscover.xml', 'POST', BENIGN_UAS[2]!],
    Ecp: [
      r.pick(['/ecp/default.aspx', '/ecp/PersonalSettings/HomePage.aspx', '/ecp/DDI/DDIService.svc/GetList']),
      'POST',
      BENIGN_UAS[0]!,
    ],
    Eas: ['/Microsoft-Server-ActiveSync/default.eas', 'POST', BENIGN_UAS[3]!],
    Ews: ['/EWS/Exchange.asmx', 'POST', r.pick([BENIGN_UAS[5]!, BENIGN_UAS[6]!, BENIGN_UAS[4]!])],
    Mapi: ['/mapi/emsmdb/', 'POST', BENIGN_UAS[2]!],
    Oab: [`/OAB/${r.guid()}/oab.xml`, 'GET', BENIGN_UAS[2]!],
    Owa: [
      r.pick(['/owa/', '/owa/service.svc', '/owa/auth.owa', '/owa/ev.owa2']),
      r.pick(['GET', 'POST']),
      r.pick([BENIGN_UAS[0]!, BENIGN_UAS[1]!]),
    ],
    OwaCalendar: [`/owa/calendar/${r.hex(32)}/calendar.ics`, 'GET', BENIGN_UAS[1]!],
    PowerShell: ['/PowerShell', 'POST', BENIGN_UAS[8]!],
    RpcHttp: ['/rpc/rpcproxy.dll', 'RPC_IN_DATA', BENIGN_UAS[7]!],
  };
  const [stem, method, ua] = stems[protocol]!;
  const roll = r.next();
  const anchor =
    roll < 0.55
      ? `Smtp~${user}@contoso.com`
      : roll < 0.8
        ? `Sid~S-1-5-21-3623811015-3361044348-30300820-${1100 + r.int(60)}`
        : roll < 0.95
          ? `DatabaseGuid~${r.guid()}`
          : roll < 0.99
            ? 'ServerInfo~EX02.contoso.local'
            : 'ServerInfo~localhost/ews/exchange.asmx'; // noise Test-ProxyLogon ignores
  return httpProxyRow({
    DateTime: c.time,
    RequestId: r.guid(),
    MajorVersion: '15',
    MinorVersion: '1',
    BuildVersion: '2106',
    RevisionVersion: '13',
    ClientRequestId: r.guid(),
    Protocol: protocol,
    UrlHost: 'mail.contoso.com',
    UrlStem: stem,
    ProtocolAction: method === 'GET' ? '' : 'Sync',
    AuthenticationType: r.pick(['Negotiate', 'Basic', 'NTLM']),
    IsAuthenticated: 'True',
    AuthenticatedUser: `CONTOSO\\${user}`,
    AnchorMailbox: anchor,
    UserAgent: ua,
    ClientIpAddress: clientIp(c),
    ServerHostName: 'EX01',
    HttpStatus: r.pick(['200', '200', '200', '200', '302', '401', '440']),
    BackEndStatus: '200',
    Method: method,
    ProxyAction: 'Proxy',
    TargetServer: r.pick(['ex01.contoso.local', 'ex02.contoso.local']),
    TargetServerVersion: '15.01.2106.013',
    RoutingType: 'Mailbox',
    RoutingHint: 'Mailbox-Header',
    BackEndCookie: `Database~${r.guid()}~~${c.time}`,
    ServerLocatorHost: 'ex01.contoso.local',
    ServerLocatorLatency: String(r.int(5)),
    RequestBytes: String(200 + r.int(4000)),
    ResponseBytes: String(300 + r.int(20000)),
    TargetOutstandingRequests: '0',
    AuthModulePerfContext: `U=${r.int(3)};AD=${r.int(4)}`,
    HttpPipelineLatency: String(r.int(3)),
    CalculateTargetBackEndLatency: String(r.int(3)),
    GlsLatencyBreakup: '',
    GlsLatency: '',
    ADLatency: String(r.int(10)),
    ActivityContextLifeTime: String(r.int(300)),
    ModuleToHandlerSwitchingLatency: '0',
    BackendProcessingLatency: String(r.int(200)),
    TotalRequestTime: String(r.int(400)),
    UrlQuery: method === 'GET' ? `?ver=${r.int(9)}` : '',
    GenericInfo: `OnBeginRequest=0;ProxyState-Run=${r.int(3)};`,
  });
}

function iisBenign(c: Ctx, backEnd: boolean): string {
  const r = c.rng;
  const [date, timeWithMs] = c.time.split('T') as [string, string];
  const time = timeWithMs.slice(0, 8);
  const user = r.pick(USERS);
  const requests: [string, string, string][] = [
    ['GET', '/owa/', '-'],
    ['GET', '/owa/auth/logon.aspx', 'url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0'],
    ['POST', '/owa/auth.owa', '-'],
    ['GET', '/owa/auth/15.1.2106/themes/resources/logon.css', '-'],
    ['GET', '/owa/auth/15.1.2106/scripts/premium/flogon.js', '-'],
    ['POST', '/EWS/Exchange.asmx', '-'],
    [
      'POST',
      '/Microsoft-Server-ActiveSync/default.eas',
      `User=${user}&DeviceId=${r.hex(16)}&DeviceType=iPhone&Cmd=Sync`,
    ],
    ['POST', '/mapi/emsmdb/', `mailboxId=${r.guid()}@contoso.com`],
    ['RPC_IN_DATA', '/rpc/rpcproxy.dll', `ex01.contoso.local:6001`],
    ['POST', '/autodiscover/autodiscover.xml', '-'],
    ['GET', '/ecp/', '-'],
    ['GET', '/ecp/15.1.2106/themes/resources/main.css', '-'],
    ['GET', '/owa/auth/errorFE.aspx', 'httpCode=500'],
  ];
  const [method, stem, q] = r.pick(requests);
  const query = backEnd ? `&CorrelationID=<empty>;&cafeReqId=${r.guid()};` : q;
  const ua = (stem.startsWith('/EWS') ? r.pick(BENIGN_UAS) : BENIGN_UAS[r.int(3)]!).replace(/ /g, '+');
  const ip = backEnd ? '10.0.0.11' : clientIp(c);
  return [
    date,
    time,
    backEnd ? 'W3SVC2' : 'W3SVC1',
    backEnd ? '10.0.0.12' : '10.0.0.11',
    method,
    stem,
    query,
    backEnd ? '444' : '443',
    stem === '/owa/' || stem.startsWith('/owa/auth') ? '-' : `CONTOSO\\${user}`,
    ip,
    ua,
    // Session cookies, including X-BackEndCookie: a near miss for the X-BEResource rule.
    r.next() < 0.5
      ? '-'
      : `ClientId=${r.hex(32).toUpperCase()};+X-BackEndCookie=S-1-5-21-3623811015-3361044348-30300820-${1100 + r.int(60)}=${r.hex(40)};+X-OWA-CANARY=${r.hex(76)}`,
    '-',
    'mail.contoso.com',
    r.pick(['200', '200', '200', '302', '401']),
    '0',
    '0',
    String(r.int(900)),
  ].join(' ');
}

function ecpBenign(c: Ctx): string {
  const r = c.rng;
  const cmd = r.pick([
    `Get-Mailbox.Identity='${r.pick(USERS)}'`,
    `Get-OabVirtualDirectory.Identity='EX01\\OAB (Default Web Site)'`,
    // Legitimate URL changes: the narrowed 27065 check must not fire on these.
    `Set-OabVirtualDirectory.ExternalUrl='https://mail.contoso.com/OAB'.Identity='EX01\\OAB (Default Web Site)'`,
    `Set-OwaVirtualDirectory.InternalUrl='https://ex01.contoso.local/owa'.Identity='EX01\\owa (Default Web Site)'`,
    `Get-ExchangeServer.Identity='EX01'`,
  ]);
  return `${c.time},EX01,ECP.Request,S:TIME=${r.int(400)};S:SID=${r.guid()};S:USER=CONTOSO\\admin;S:REQID=${r.guid()};S:CLIENTIP=${privateIp(r)};S:CMD=${cmd}`;
}

function oabBenign(c: Ctx): string {
  const r = c.rng;
  return r.next() < 0.3
    ? `${c.time},OABGenerator,Warning,Download failed and temporary file ${X}\\ClientAccess\\OAB\\Temp\\${r.guid()}\\oab.xml needs to be removed`
    : `${c.time},OABGenerator,Information,${r.pick(['Beginning generation of OAB', 'Finished generation of OAB', 'Uploading OAB files'])} \\Default Offline Address Book (${r.guid()})`;
}

interface EventSpec {
  readonly source: string;
  readonly id: number;
  readonly level: 'Error' | 'Warning' | 'Information';
  readonly message: string;
}

function eventBenign(c: Ctx): EventSpec {
  const r = c.rng;
  return r.pick<EventSpec>([
    {
      source: 'MSExchange ADAccess',
      id: 2080,
      level: 'Information',
      message: `Process MSExchangeHMWorker.exe (PID=${r.int(9000)}). Exchange Active Directory Provider has discovered the following servers with the following characteristics:\n (Server name | Roles | Enabled | Reachability | Synchronized)\n dc01.contoso.local CDG 1 7 7 1 0 1 1 7 1`,
    },
    {
      source: 'MSExchange Unified Messaging',
      id: 1001,
      level: 'Information',
      message: 'The Microsoft Exchange Unified Messaging service started successfully.',
    },
    {
      source: 'MSExchange Unified Messaging',
      id: 1423,
      level: 'Error',
      message: `An unhandled exception occurred in a UM worker process: System.TimeoutException: The operation has timed out.\n   at Microsoft.Exchange.UM.UMCore.CallContext.Dispose()`,
    },
    {
      source: 'MSExchange Common',
      id: 4999,
      level: 'Error',
      message: `Watson report about to be sent for process id: ${r.int(9000)}, with parameters: E12IIS, c-RTL-AMD64, 15.01.2106.013, w3wp#MSExchangeOWAAppPool, M.Exchange.Clients.Owa2.Server, System.InvalidCastException`,
    },
    {
      source: 'MSExchangeIS',
      id: 9042,
      level: 'Warning',
      message: `The database copy ${r.guid()} is approaching its quota.`,
    },
  ]);
}

function eventCsvRow(c: Ctx, e: EventSpec): string {
  const d = new Date(c.time);
  const h = d.getUTCHours();
  const stamp = `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
  return [e.level, stamp, e.source, String(e.id), 'General', e.message].map(csvQuote).join(',');
}

function eventXml(c: Ctx, e: EventSpec, recordId: number): string {
  const level = e.level === 'Error' ? 2 : e.level === 'Warning' ? 3 : 4;
  return (
    `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='${xmlEscape(e.source)}'/>` +
    `<EventID Qualifiers='49152'>${e.id}</EventID><Level>${level}</Level><Task>1</Task><Keywords>0x80000000000000</Keywords>` +
    `<TimeCreated SystemTime='${c.time.replace('Z', '000000Z')}'/><EventRecordID>${recordId}</EventRecordID>` +
    `<Channel>Application</Channel><Computer>EX01.contoso.local</Computer><Security/></System>` +
    `<EventData><Data>${xmlEscape(e.message)}</Data></EventData></Event>`
  );
}

const LISTING_BENIGN = [
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\errorFE.aspx`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\ExpiredPassword.aspx`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\frowny.aspx`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\logoff.aspx`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\logon.aspx`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\OutlookCN.aspx`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\RedirSuiteServiceProxy.aspx`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\signout.aspx`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\SvmFeedback.aspx`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\web.config`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\15.1.2106\\themes\\resources\\logon.css`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\15.1.2106\\scripts\\premium\\flogon.js`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\Current\\themes\\resources\\logon.css`,
  `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\Current\\themes\\resources\\SegoeUI-SemiLight.ttf`,
  `${X}\\FrontEnd\\HttpProxy\\ecp\\auth\\TimeoutLogoff.aspx`,
  `${X}\\FrontEnd\\HttpProxy\\ews\\Exchange.asmx`,
  `${X}\\FrontEnd\\HttpProxy\\ews\\web.config`,
  `${X}\\FrontEnd\\HttpProxy\\OAB\\web.config`,
  'C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\4_0_30319\\WebUIValidation.js',
  'C:\\inetpub\\wwwroot\\iisstart.htm',
  'C:\\ProgramData\\Microsoft\\Windows Defender\\Support\\MPLog-20210303.log',
  'C:\\Windows\\Temp\\MpCmdRun.log',
  'C:\\root\\notes.txt',
];

interface Plan {
  readonly at: number;
  readonly file: string;
  readonly detectors: readonly DetectorId[];
  readonly observables: readonly string[];
  readonly render: (c: Ctx) => string | EventSpec;
}

function attackPlans(rng: Prng, copies: number, files: Record<string, string>): Plan[] {
  const plans: Plan[] = [];
  const ip = (): string => rng.pick(CAMPAIGN.ips);
  const add = (
    file: string,
    detectors: DetectorId[],
    observables: string[],
    render: Plan['render'],
  ): void => {
    plans.push({ at: rng.next(), file, detectors, observables, render });
  };
  for (let k = 0; k < copies; k++) {
    // CVE-2021-26855: SSRF through the X-BEResource cookie, as the HttpProxy log records it.
    {
      const a = ip();
      const ua = rng.pick(['python-requests/2.25.1', 'ExchangeServicesClient/0.0.0.0']);
      const target = rng.pick(['/ecp/proxyLogon.ecp', '/mapi/emsmdb', '/EWS/Exchange.asmx']);
      add(files['Ecp']!, ['cve-2021-26855-httpproxy'], [`ipv4-addr:${a}`, `user-agent:${ua}`], (c) =>
        httpProxyRow({
          DateTime: c.time,
          RequestId: c.rng.guid(),
          MajorVersion: '15',
          MinorVersion: '1',
          BuildVersion: '2106',
          RevisionVersion: '13',
          Protocol: 'Ecp',
          UrlHost: 'mail.contoso.com',
          UrlStem: `/ecp/${'xyz'[k % 3]}.js`,
          IsAuthenticated: 'False',
          AuthenticatedUser: '',
          AnchorMailbox: `ServerInfo~a]@EX01.contoso.local:444${target}#~1941962753`,
          UserAgent: ua,
          ClientIpAddress: a,
          ServerHostName: 'EX01',
          HttpStatus: '200',
          Method: 'POST',
          ProxyAction: 'Proxy',
          TargetServer: 'EX01.contoso.local',
          RoutingType: 'BackEndCookie',
        }),
      );
    }
    // Probing: autodiscover through ServerInfo~ (attempt, reported as low).
    {
      const a = ip();
      add(
        files['Autodiscover']!,
        ['cve-2021-26855-probe'],
        [`ipv4-addr:${a}`, 'user-agent:python-requests/2.19.1'],
        (c) =>
          httpProxyRow({
            DateTime: c.time,
            RequestId: c.rng.guid(),
            Protocol: 'Autodiscover',
            UrlHost: 'mail.contoso.com',
            UrlStem: '/autodiscover/autodiscover.xml',
            IsAuthenticated: 'False',
            AuthenticatedUser: '',
            AnchorMailbox: 'ServerInfo~a]@EX01.contoso.local:444/autodiscover/autodiscover.xml?#',
            UserAgent: 'python-requests/2.19.1',
            ClientIpAddress: a,
            HttpStatus: '200',
            Method: 'POST',
          }),
      );
    }
    // CVE-2021-27065, HttpProxy side: ResetOABVirtualDirectory through the SSRF, 200 → file written.
    {
      const a = ip();
      add(
        files['Ecp']!,
        ['cve-2021-26855-httpproxy', 'cve-2021-27065-httpproxy-ecp'],
        [`ipv4-addr:${a}`, 'user-agent:ExchangeServicesClient/0.0.0.0'],
        (c) =>
          httpProxyRow({
            DateTime: c.time,
            RequestId: c.rng.guid(),
            Protocol: 'Ecp',
            UrlHost: 'mail.contoso.com',
            UrlStem: '/ecp/y.js',
            IsAuthenticated: 'False',
            AuthenticatedUser: '',
            AnchorMailbox: `ServerInfo~a]@EX01.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#`,
            UserAgent: 'ExchangeServicesClient/0.0.0.0',
            ClientIpAddress: a,
            HttpStatus: '200',
            Method: 'POST',
          }),
      );
    }
    // CVE-2021-27065, ECP server log: script in the OAB ExternalUrl.
    {
      const a = ip();
      add(
        files['ecp']!,
        ['cve-2021-27065-ecp'],
        [`ipv4-addr:${a}`],
        (c) =>
          `${c.time},EX01,ECP.Request,S:TIME=312;S:SID=${c.rng.guid()};S:USER=CONTOSO\\administrator;S:REQID=${c.rng.guid()};S:CLIENTIP=${a};` +
          `S:CMD=Set-OabVirtualDirectory.ExternalUrl='http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["exec_code"],"unsafe");}</script>'.Identity='${c.rng.guid()}'`,
      );
    }
    // CVE-2021-26858: the OAB generator wrote outside ClientAccess\OAB.
    {
      const path = rng.pick([
        'C:\\inetpub\\wwwroot\\aspnet_client\\discover.aspx',
        `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\OutlookEN.aspx`,
        '\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\shell.aspx',
      ]);
      add(
        files['oab']!,
        ['cve-2021-26858-oabgen'],
        [`file:${path}`],
        (c) =>
          `${c.time},OABGenerator,Warning,Download failed and temporary file ${path} needs to be removed`,
      );
    }
    // CVE-2021-26857: UM deserialisation, in both event-log exports.
    for (const f of [files['eventcsv']!, files['eventxml']!]) {
      add(f, ['cve-2021-26857-eventlog'], [], () => ({
        source: 'MSExchange Unified Messaging',
        id: 1423,
        level: 'Error',
        message:
          'An unhandled exception occurred in a UM worker process: System.InvalidCastException: Unable to cast object of type ' +
          "'Microsoft.VisualStudio.Text.Formatting.TextFormattingRunProperties' to type 'Microsoft.Exchange.UM.UMCommon.CallContext'.\n" +
          '   at Microsoft.Exchange.UM.UMCore.UMWorkerProcess.Deserialize(Stream s)',
      }));
    }
    // IIS: POST to a static resource, a random .js from outside, back-end t=, a web-shell request.
    const iisLine = (
      c: Ctx,
      site: 1 | 2,
      method: string,
      stem: string,
      query: string,
      ipAddr: string,
      ua: string,
      cookie = '-',
    ): string => {
      const [date, t] = c.time.split('T') as [string, string];
      return [
        date,
        t.slice(0, 8),
        `W3SVC${site}`,
        site === 1 ? '10.0.0.11' : '10.0.0.12',
        method,
        stem,
        query,
        site === 1 ? '443' : '444',
        '-',
        ipAddr,
        ua.replace(/ /g, '+'),
        cookie,
        '-',
        'mail.contoso.com',
        '200',
        '0',
        '0',
        '31',
      ].join(' ');
    };
    {
      const a = ip();
      const stem = rng.pick([
        '/owa/auth/Current/themes/resources/logon.css',
        '/owa/auth/Current/themes/resources/owafont_ja.css',
        '/ecp/default.flt',
        '/ecp/main.css',
        '/ecp/y.js',
      ]);
      // The SSRF cookies EOMT's rewrite rules block, where IIS logs cs(Cookie).
      const cookie =
        k % 2 === 0
          ? 'X-BEResource=a]@EX01.contoso.local:444/ecp/proxyLogon.ecp?a=~1942062522;'
          : 'X-AnonResource=true;+X-AnonResource-Backend=localhost/ecp/default.flt?~3;';
      add(
        files['iis1']!,
        ['iis-static-post', 'iis-ssrf-cookie'],
        [`ipv4-addr:${a}`, 'user-agent:python-requests/2.25.1'],
        (c) => iisLine(c, 1, 'POST', stem, '-', a, 'python-requests/2.25.1', cookie),
      );
    }
    {
      const a = ip();
      const stem = `/owa/auth/${rng.hex(5)}.js`;
      const ua = BENIGN_UAS[0]!;
      add(files['iis1']!, ['iis-random-script'], [`ipv4-addr:${a}`], (c) =>
        iisLine(c, 1, 'GET', stem, '-', a, ua),
      );
    }
    {
      add(files['iis2']!, ['iis-backend-t-query'], ['user-agent:ExchangeServicesClient/0.0.0.0'], (c) =>
        iisLine(
          c,
          2,
          'POST',
          '/ecp/proxyLogon.ecp',
          `t=${c.rng.hex(8)}&CorrelationID=<empty>;`,
          '10.0.0.11',
          'ExchangeServicesClient/0.0.0.0',
        ),
      );
    }
    {
      const a = ip();
      const stem = rng.pick([
        '/aspnet_client/discover.aspx',
        '/aspnet_client/system_web/log.aspx',
        '/owa/auth/OutlookEN.aspx',
        '/ecp/auth/TimeoutLogout.aspx',
      ]);
      add(files['iis1']!, ['iis-webshell-request'], [`ipv4-addr:${a}`, 'user-agent:antSword/v2.1'], (c) =>
        iisLine(c, 1, 'POST', stem, '-', a, 'antSword/v2.1'),
      );
    }
  }
  return plans;
}

function listingPlans(rng: Prng, file: string): Plan[] {
  const shells: [string, DetectorId, string | undefined][] = [
    [`${X}\\FrontEnd\\HttpProxy\\owa\\auth\\OutlookEN.aspx`, 'webshell-path', CAMPAIGN.webshellSha256[0]],
    [
      `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\Current\\themes\\resources\\logon.aspx`,
      'webshell-path',
      undefined,
    ],
    [`${X}\\FrontEnd\\HttpProxy\\ecp\\auth\\TimeoutLogout.aspx`, 'webshell-path', CAMPAIGN.webshellSha256[1]],
    [`${X}\\FrontEnd\\HttpProxy\\OAB\\log.aspx`, 'webshell-path', undefined],
    [
      'C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\log.aspx',
      'webshell-path',
      CAMPAIGN.webshellSha256[2],
    ],
    ['C:\\inetpub\\wwwroot\\aspnet_client\\supp0rt.aspx', 'webshell-path', undefined],
    ['C:\\root\\lsass.dmp', 'post-exploitation-file', undefined],
    ['C:\\Windows\\Temp\\lsass.dmp', 'post-exploitation-file', undefined],
    ['C:\\ProgramData\\it.zip', 'post-exploitation-file', undefined],
  ];
  return shells.map(([path, det, hash]) => ({
    at: rng.next(),
    file,
    detectors: [det],
    observables: hash ? [`file:${path}`, `sha256:${hash}`] : [`file:${path}`],
    render: () => (hash ? `${hash}  ${path}` : path),
  }));
}

/** Writes the log tree under `outDir` and returns its ground truth. */
export async function generateLogs(outDir: string, opts: GenerateOptions): Promise<GroundTruth> {
  const rng = new Prng(opts.seed ?? 2021);
  const startMs = Date.parse(opts.start ?? '2021-03-03T00:00:00Z');
  const rel: Record<string, string> = {};
  for (const p of PROTOCOLS) rel[p] = `Exchange/Logging/HttpProxy/${p}/HttpProxy_2021030300-1.LOG`;
  rel['ecp'] = 'Exchange/Logging/ECP/Server/ECPServer2021030300-1.LOG';
  rel['oab'] = 'Exchange/Logging/OABGeneratorLog/OABGenerator_2021030300-1.LOG';
  rel['iis1'] = 'inetpub/logs/LogFiles/W3SVC1/u_ex210303.log';
  rel['iis2'] = 'inetpub/logs/LogFiles/W3SVC2/u_ex210303.log';
  rel['eventcsv'] = 'EventLogs/Application.csv';
  rel['eventxml'] = 'EventLogs/Application.xml';
  rel['listing'] = 'listing/webshell-folders.txt';
  const files = new Map<string, LogFile>();
  for (const r of Object.values(rel)) {
    await mkdir(dirname(join(outDir, r)), { recursive: true });
    files.set(r, new LogFile(r, outDir));
  }
  const publicIps: string[] = [];
  const campaign = new Set<string>(CAMPAIGN.ips);
  while (publicIps.length < 300) {
    const a = `${1 + rng.int(222)}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`;
    const first = Number(a.split('.')[0]);
    if (campaign.has(a) || first === 10 || first === 127 || first === 172 || first === 192 || first === 169)
      continue;
    publicIps.push(a);
  }
  const ctx: Ctx = { rng, time: new Date(startMs).toISOString(), publicIps };
  const file = (key: string): LogFile => files.get(rel[key]!)!;

  // Headers, as Exchange and IIS write them.
  const header = `#Software: Microsoft Exchange Server\r\n#Version: 15.01.2106.013\r\n`;
  for (const p of PROTOCOLS) {
    await file(p).write(
      `${header}#Log-type: HttpProxy Logs\r\n#Date: ${ctx.time}\r\n#Fields: ${HTTPPROXY_DEFAULT_FIELDS}`,
    );
  }
  await file('ecp').write(
    `${header}#Log-type: ECP Server Logs\r\n#Date: ${ctx.time}\r\n#Fields: DateTime,ServerName,EventType,Data`,
  );
  await file('oab').write(
    `${header}#Log-type: OABGenerator Logs\r\n#Date: ${ctx.time}\r\n#Fields: DateTime,Component,Level,Message`,
  );
  for (const k of ['iis1', 'iis2']) {
    await file(k).write(
      `#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n#Fields: ${IIS_FIELDS}`,
    );
  }
  await file('eventcsv').write('Level,Date and Time,Source,Event ID,Task Category');
  await file('eventxml').write(`<?xml version="1.0" encoding="UTF-8"?>\r\n<Events>`);

  const plans = opts.attacks === false ? [] : attackPlans(rng, opts.copies ?? 2, rel);
  const listingPlan = opts.attacks === false ? [] : listingPlans(rng, rel['listing']);
  plans.sort((a, b) => a.at - b.at);
  const traces: PlantedTrace[] = [];
  let eventRecord = 1;

  const writeRecord = async (key: string, content: string | EventSpec): Promise<number> => {
    const f = files.get(key)!;
    if (typeof content === 'string') return f.write(content);
    if (key === rel['eventcsv']) return f.write(eventCsvRow(ctx, content));
    return f.write(eventXml(ctx, content, eventRecord++));
  };

  const plant = async (p: Plan): Promise<void> => {
    const line = await writeRecord(p.file, p.render(ctx));
    const id = `${p.detectors[0]}#${traces.length}`;
    traces.push({ id, file: p.file, line, detectors: p.detectors, observables: p.observables });
  };

  // Benign traffic mix by share of bytes: HttpProxy ~55 %, IIS ~35 %, the rest ~10 %.
  const mix: [string, number][] = [
    ...PROTOCOLS.map((p): [string, number] => [p, p === 'Owa' || p === 'Ews' || p === 'Mapi' ? 0.1 : 0.036]),
    ['iis1', 0.27],
    ['iis2', 0.08],
    ['ecp', 0.03],
    ['oab', 0.02],
    ['eventcsv', 0.02],
    ['eventxml', 0.02],
  ];
  const cumulative: [string, number][] = [];
  let acc = 0;
  for (const [k, w] of mix) cumulative.push([k, (acc += w)]);
  const target = Math.max(opts.targetBytes, 64 * 1024);
  let written = 0;
  let planIndex = 0;
  while (written < target) {
    const progress = written / target;
    ctx.time = new Date(startMs + Math.floor(progress * 86_400_000)).toISOString();
    while (planIndex < plans.length && plans[planIndex]!.at <= progress) {
      await plant(plans[planIndex++]!);
    }
    const roll = rng.next() * acc;
    const key = cumulative.find(([, c]) => roll < c)?.[0] ?? 'iis1';
    const f = file(key);
    const before = f.bytes;
    let content: string | EventSpec;
    if (PROTOCOLS.includes(key)) content = httpProxyBenign(ctx, key);
    else if (key === 'iis1' || key === 'iis2') content = iisBenign(ctx, key === 'iis2');
    else if (key === 'ecp') content = ecpBenign(ctx);
    else if (key === 'oab') content = oabBenign(ctx);
    else content = eventBenign(ctx);
    await writeRecord(rel[key]!, content);
    written += f.bytes - before;
  }
  for (; planIndex < plans.length; planIndex++) {
    await plant(plans[planIndex]!);
  }
  // The listing: stock files with the planted ones among them; every fourth stock line carries a SHA-256.
  const listing = files.get(rel['listing'])!;
  for (let li = 0; li < LISTING_BENIGN.length; li++) {
    for (const p of listingPlan) {
      if (Math.floor(p.at * LISTING_BENIGN.length) === li) await plant(p);
    }
    const path = LISTING_BENIGN[li]!;
    await listing.write(li % 4 === 0 ? `${rng.hex(64)}  ${path}` : path);
  }
  await file('eventxml').write('</Events>');
  let bytes = 0;
  let lines = 0;
  for (const f of files.values()) {
    await f.close();
    bytes += f.bytes;
    lines += f.lines;
  }
  return { files: [...files.keys()], traces, bytes, lines };
}
