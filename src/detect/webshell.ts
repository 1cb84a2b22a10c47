/**
 * Web-shell and post-exploitation path checks (proxylogon-log-checks.json `webshell_locations`,
 * `post-exploitation-files`): given one file path from a listing or a mounted tree, say whether it sits where the
 * March 2021 campaigns dropped web shells, dumps or loot, and why.
 */

/** Files a standard install keeps in `FrontEnd\HttpProxy\owa\auth\` (lower case). */
const STOCK_OWA_AUTH = new Set([
  'errorfe.aspx',
  'expiredpassword.aspx',
  'frowny.aspx',
  'logoff.aspx',
  'logon.aspx',
  'outlookcn.aspx',
  'redirsuiteserviceproxy.aspx',
  'signout.aspx',
  'svmfeedback.aspx',
  'web.config',
]);

/** Web-shell names from the MSTIC feed and the community lists (lower case, file name only). */
export const KNOWN_WEBSHELL_NAMES = new Set(
  [
    'errorPage.aspx',
    'errorPages.aspx',
    'fatal-erro.aspx',
    'shel.aspx',
    'shel2.aspx',
    'shel90.aspx',
    'one.aspx',
    'one1.aspx',
    'log.aspx',
    'logg.aspx',
    'logout.aspx',
    'bob.aspx',
    'a.aspx',
    'authhead.aspx',
    'OutlookZH.aspx',
    'OutlookEN.aspx',
    'OutlookUS.aspx',
    '8Lw7tAhF9i1pJnRo.aspx',
    'TimeoutLogout.aspx',
    '333.aspx',
    'shell.aspx',
    'Server.aspx',
    'discover.aspx',
    'supp0rt.aspx',
    'HttpProxy.aspx',
    'aspnet_client.aspx',
    'aspnet_iisstart.aspx',
    'aspnet_pages.aspx',
    'aspnet_www.aspx',
    'default1.aspx',
    'errorcheck.aspx',
    'iispage.aspx',
    's.aspx',
    'session.aspx',
    'services.aspx',
    'xx.aspx',
    'xclkmcfldfi948398430fdjkfdkj.aspx',
  ].map((n) => n.toLowerCase()),
);

const SCRIPT_EXT = /\.(aspx|asmx|ashx|asax|asp|php|jsp|cfm|shtml)$/;

export interface PathVerdict {
  readonly detector: 'webshell-path' | 'post-exploitation-file';
  readonly reason: string;
}

/** Checks one path (Windows or POSIX separators, any case). */
export function checkPath(path: string): PathVerdict | undefined {
  const p = path.replace(/\//g, '\\').toLowerCase();
  const cut = p.lastIndexOf('\\');
  const name = p.slice(cut + 1);
  const dir = p.slice(0, cut + 1);
  const known = KNOWN_WEBSHELL_NAMES.has(name) || /^chack\w*\.aspx$/.test(name);
  const knownNote = known ? ' (name used by the March 2021 web shells)' : '';
  const isScript = SCRIPT_EXT.test(name);

  const httpProxy = dir.indexOf('\\frontend\\httpproxy\\');
  if (httpProxy >= 0) {
    const rest = dir.slice(httpProxy + '\\frontend\\httpproxy\\'.length);
    if (rest === 'owa\\auth\\' && isScript && !STOCK_OWA_AUTH.has(name)) {
      return { detector: 'webshell-path', reason: `non-standard script in owa\\auth${knownNote}` };
    }
    if (/^owa\\auth\\(current|\d+(\.\d+)+)\\/.test(rest) && isScript) {
      return {
        detector: 'webshell-path',
        reason: `script under owa\\auth\\Current or a version folder${knownNote}`,
      };
    }
    if (rest === 'ecp\\auth\\' && name !== 'timeoutlogoff.aspx' && name !== '') {
      return {
        detector: 'webshell-path',
        reason: `file other than TimeoutLogoff.aspx in ecp\\auth${knownNote}`,
      };
    }
    if ((rest === 'oab\\' || rest === 'ews\\') && /\.aspx$/.test(name)) {
      return { detector: 'webshell-path', reason: `.aspx in HttpProxy\\${rest.slice(0, -1)}${knownNote}` };
    }
  }
  if (dir.includes('\\inetpub\\wwwroot\\aspnet_client\\') && isScript) {
    return { detector: 'webshell-path', reason: `script under inetpub\\wwwroot\\aspnet_client${knownNote}` };
  }
  if (/^lsass.*\.dmp$/.test(name) && (/^([a-z]:)?\\root\\$/.test(dir) || /\\windows\\temp\\$/.test(dir))) {
    return { detector: 'post-exploitation-file', reason: 'LSASS memory dump (credential theft)' };
  }
  if (/\.(7z|zip|rar)$/.test(name) && /^([a-z]:)?\\programdata\\/.test(dir)) {
    return {
      detector: 'post-exploitation-file',
      reason: 'archive under ProgramData (staging for exfiltration)',
    };
  }
  return undefined;
}
