import { describe, expect, it } from 'vitest';
import { detectRecord } from '../../src/detect/detectors.js';
import type { Finding, LogKind, LogRecord } from '../../src/detect/types.js';
import { checkPath } from '../../src/detect/webshell.js';

const X = 'C:\\Program Files\\Microsoft\\Exchange Server\\V15';
const run = (kind: LogKind, fields: Record<string, string>): Finding[] => {
  const out: Finding[] = [];
  const rec: LogRecord = { kind, file: 'f.log', line: 1, time: '2021-03-03T00:00:00Z', fields, raw: '' };
  detectRecord(rec, (f) => out.push(f));
  return out;
};
const detectors = (kind: LogKind, fields: Record<string, string>): string[] =>
  run(kind, fields).map((f) => f.detector);

describe('CVE-2021-26855 in HttpProxy logs (AnchorMailbox ServerInfo~*/*)', () => {
  it('fires on a ServerInfo~ routing hint with a path', () => {
    expect(detectors('httpproxy', { AnchorMailbox: 'ServerInfo~a]@ex01:444/mapi/emsmdb#' })).toEqual([
      'cve-2021-26855-httpproxy',
    ]);
  });
  it('reports autodiscover-only hits as probing, and ignores localhost and path-less hints', () => {
    expect(
      detectors('httpproxy', { AnchorMailbox: 'ServerInfo~a]@ex01:444/autodiscover/autodiscover.xml?#' }),
    ).toEqual(['cve-2021-26855-probe']);
    expect(detectors('httpproxy', { AnchorMailbox: 'ServerInfo~localhost/ews/exchange.asmx' })).toEqual([]);
    expect(detectors('httpproxy', { AnchorMailbox: 'ServerInfo~EX02.contoso.local' })).toEqual([]);
    expect(detectors('httpproxy', { AnchorMailbox: 'Smtp~alice@contoso.com' })).toEqual([]);
  });
  it('CVE-2021-27065: Reset…VirtualDirectory# through ServerInfo~ fires only with HTTP 200', () => {
    const anchor = 'ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#';
    expect(detectors('httpproxy', { AnchorMailbox: anchor, HttpStatus: '200' }).sort()).toEqual([
      'cve-2021-26855-httpproxy',
      'cve-2021-27065-httpproxy-ecp',
    ]);
    expect(detectors('httpproxy', { AnchorMailbox: anchor, HttpStatus: '500' })).toEqual([
      'cve-2021-26855-httpproxy',
    ]);
  });
});

describe('CVE-2021-27065 in ECP server logs', () => {
  it('fires on script markup in a virtual-directory URL, not on a normal URL change', () => {
    const bad = `S:CLIENTIP=1.2.3.4;S:CMD=Set-OabVirtualDirectory.ExternalUrl='http://f/<script language="JScript" runat="server">x</script>'`;
    expect(run('ecp-server', { text: bad }).map((f) => [f.detector, f.clientIp])).toEqual([
      ['cve-2021-27065-ecp', '1.2.3.4'],
    ]);
    expect(
      detectors('ecp-server', {
        text: "S:CMD=Set-OabVirtualDirectory.ExternalUrl='https://mail.contoso.com/OAB'",
      }),
    ).toEqual([]);
    expect(detectors('ecp-server', { text: "S:CMD=Get-Mailbox.Identity='x'" })).toEqual([]);
  });
});

describe('CVE-2021-26858 in OAB generator logs', () => {
  it('fires when the temporary file is outside ClientAccess\\OAB and not otherwise', () => {
    const line = (p: string) => `Download failed and temporary file ${p} needs to be removed`;
    const hit = run('oab-generator', { text: line('C:\\inetpub\\wwwroot\\aspnet_client\\shell.aspx') });
    expect(hit.map((f) => [f.detector, f.evidence])).toEqual([
      ['cve-2021-26858-oabgen', 'C:\\inetpub\\wwwroot\\aspnet_client\\shell.aspx'],
    ]);
    expect(detectors('oab-generator', { text: line(`${X}\\ClientAccess\\OAB\\Temp\\x\\oab.xml`) })).toEqual(
      [],
    );
  });
});

describe('CVE-2021-26857 in the Application event log', () => {
  const ev = (Source: string, Level: string, Message: string) =>
    detectors('eventlog-csv', { Source, Level, Message });
  it('fires on a UM error with System.InvalidCastException only', () => {
    expect(ev('MSExchange Unified Messaging', 'Error', 'x System.InvalidCastException y')).toEqual([
      'cve-2021-26857-eventlog',
    ]);
    expect(ev('MSExchange Unified Messaging', '2', 'System.InvalidCastException')).toEqual([
      'cve-2021-26857-eventlog',
    ]);
    expect(ev('MSExchange Unified Messaging', 'Error', 'System.TimeoutException')).toEqual([]);
    expect(ev('MSExchange Common', 'Error', 'System.InvalidCastException')).toEqual([]);
    expect(ev('MSExchange Unified Messaging', 'Information', 'System.InvalidCastException')).toEqual([]);
  });
});

describe('suspicious IIS requests', () => {
  const iis = (f: Record<string, string>) =>
    detectors('iis-w3c', { 'c-ip': '5.254.43.18', 's-port': '443', ...f });
  it('POSTs to static OWA/ECP resources', () => {
    expect(
      iis({ 'cs-method': 'POST', 'cs-uri-stem': '/owa/auth/Current/themes/resources/logon.css' }),
    ).toEqual(['iis-static-post']);
    expect(iis({ 'cs-method': 'POST', 'cs-uri-stem': '/ecp/y.js' })).toEqual(['iis-static-post']);
    expect(
      iis({ 'cs-method': 'GET', 'cs-uri-stem': '/owa/auth/Current/themes/resources/logon.css' }),
    ).toEqual([]);
  });
  it('short random scripts under /owa/auth or /ecp, from public addresses only', () => {
    expect(iis({ 'cs-method': 'GET', 'cs-uri-stem': '/owa/auth/x3g7k.js' })).toEqual(['iis-random-script']);
    expect(iis({ 'cs-method': 'GET', 'cs-uri-stem': '/owa/auth/x3g7k.js', 'c-ip': '10.1.2.3' })).toEqual([]);
    expect(
      iis({ 'cs-method': 'GET', 'cs-uri-stem': '/owa/auth/15.1.2106/scripts/premium/flogon.js' }),
    ).toEqual([]);
  });
  it('back-end requests whose query starts with t=', () => {
    expect(iis({ 's-port': '444', 'cs-uri-stem': '/ecp/x.ecp', 'cs-uri-query': 't=abc' })).toEqual([
      'iis-backend-t-query',
    ]);
    expect(iis({ 's-port': '443', 'cs-uri-stem': '/ecp/x.ecp', 'cs-uri-query': 't=abc' })).toEqual([]);
  });
  it('the SSRF cookies EOMT blocks (X-AnonResource-Backend, X-BEResource=…/…~…), not X-BackEndCookie', () => {
    const get = { 'cs-method': 'GET', 'cs-uri-stem': '/owa/' };
    expect(
      iis({
        ...get,
        'cs(Cookie)': 'X-AnonResource=true;+X-AnonResource-Backend=localhost/ecp/default.flt?~3;',
      }),
    ).toEqual(['iis-ssrf-cookie']);
    expect(
      iis({ ...get, 'cs(Cookie)': 'X-BEResource=a]@ex01:444/ecp/proxyLogon.ecp?a=~1942062522;' }),
    ).toEqual(['iis-ssrf-cookie']);
    expect(iis({ ...get, 'cs(Cookie)': 'ClientId=AB;+X-BackEndCookie=S-1-5-21-1=abc~d/e' })).toEqual([]);
  });
  it('requests for web shells, but not for stock pages', () => {
    expect(iis({ 'cs-method': 'POST', 'cs-uri-stem': '/aspnet_client/discover.aspx' })).toEqual([
      'iis-webshell-request',
    ]);
    expect(iis({ 'cs-method': 'GET', 'cs-uri-stem': '/owa/auth/logon.aspx' })).toEqual([]);
    expect(iis({ 'cs-method': 'GET', 'cs-uri-stem': '/ecp/auth/TimeoutLogoff.aspx' })).toEqual([]);
  });
});

describe('web-shell and post-exploitation paths', () => {
  it('flags the campaign locations and names', () => {
    for (const p of [
      `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\OutlookEN.aspx`,
      `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\Current\\themes\\resources\\logon.aspx`,
      `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\15.1.2106\\x.aspx`,
      `${X}\\FrontEnd\\HttpProxy\\ecp\\auth\\TimeoutLogout.aspx`,
      `${X}\\FrontEnd\\HttpProxy\\ews\\333.aspx`,
      'C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\log.aspx',
      '/mnt/exch/FrontEnd/HttpProxy/OAB/log.aspx',
    ]) {
      expect({ p, d: checkPath(p)?.detector }).toEqual({ p, d: 'webshell-path' });
    }
    expect(checkPath('C:\\root\\lsass.dmp')?.detector).toBe('post-exploitation-file');
    expect(checkPath('C:\\Windows\\Temp\\lsass_1.dmp')?.detector).toBe('post-exploitation-file');
    expect(checkPath('C:\\ProgramData\\it.zip')?.detector).toBe('post-exploitation-file');
    expect(checkPath(`${X}\\FrontEnd\\HttpProxy\\owa\\auth\\OutlookEN.aspx`)?.reason).toContain('March 2021');
  });
  it('leaves stock files alone', () => {
    for (const p of [
      `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\logon.aspx`,
      `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\OutlookCN.aspx`,
      `${X}\\FrontEnd\\HttpProxy\\owa\\auth\\Current\\themes\\resources\\logon.css`,
      `${X}\\FrontEnd\\HttpProxy\\ecp\\auth\\TimeoutLogoff.aspx`,
      `${X}\\FrontEnd\\HttpProxy\\ews\\Exchange.asmx`,
      'C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\4_0_30319\\WebUIValidation.js',
      'C:\\Windows\\Temp\\MpCmdRun.log',
      'C:\\root\\notes.txt',
    ]) {
      expect({ p, v: checkPath(p) }).toEqual({ p, v: undefined });
    }
  });
});
