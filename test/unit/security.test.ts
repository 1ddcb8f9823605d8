import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RENDERER_CSP, isAllowedNavigation, isTrustedSender, secureWebPreferences } from '../../src-main/electron/security';
import { contentSecurityPolicy } from '../../src-main/host/serve';
import { countTestsAs } from '../support/reliability';

countTestsAs('Electron');

const ROOT = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

describe('Electron security checklist', () => {
  it('isolates, sandboxes and denies node in the window', () => {
    const prefs = secureWebPreferences('/x/preload.js');
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
    });
  });

  it('uses the policy in the page and in serve', () => {
    const html = read('src-renderer/index.html');
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(RENDERER_CSP);
    expect(contentSecurityPolicy()).toBe(`${RENDERER_CSP}; frame-ancestors 'none'`);
    expect(RENDERER_CSP).toContain("script-src 'self'");
    expect(RENDERER_CSP).not.toContain('unsafe-eval');
    expect(RENDERER_CSP).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(RENDERER_CSP).toContain("object-src 'none'");
  });

  it('trusts only the app page as IPC sender and navigation target', () => {
    const own = 'file:///opt/trainbench/out/renderer/index.html';
    expect(isTrustedSender('file:///opt/trainbench/out/renderer/index.html#/train', own)).toBe(true);
    expect(isTrustedSender('file:///etc/passwd', own)).toBe(false);
    expect(isTrustedSender('https://evil.example/', own)).toBe(false);
    expect(isTrustedSender(undefined, own)).toBe(false);
    expect(isTrustedSender('not a url', own)).toBe(false);
    expect(isAllowedNavigation('http://localhost:5173/#/data', 'http://localhost:5173/')).toBe(true);
    expect(isAllowedNavigation('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
  });

  it('wires every check in main and preload', () => {
    const main = read('src-main/electron/main.ts');
    expect(main).toContain('secureWebPreferences(');
    expect(main).toContain('app.enableSandbox()');
    expect(main).toContain("setWindowOpenHandler(() => ({ action: 'deny' }))");
    expect(main).not.toContain('openExternal');
    expect(main).toContain("'will-navigate'");
    expect(main).toContain("'will-attach-webview'");
    expect(main).toMatch(/setPermissionRequestHandler\(\(_wc, _permission, callback\) => callback\(false\)\)/);
    expect(main).toContain('isTrustedSender(event.senderFrame');
    expect(main).not.toMatch(/loadURL\(['"`]https?:/); // no remote content
    const preload = read('src-main/electron/preload.ts');
    expect(preload).toContain('contextBridge.exposeInMainWorld');
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\s*\)/);
  });

  it('keeps electron out of the engine', () => {
    const { execSync } = require('node:child_process') as typeof import('node:child_process');
    const hits = execSync(`grep -rlE "from 'electron'|require\\('electron'\\)" src-main/engine src-main/host src-main/contract || true`, { cwd: ROOT }).toString();
    expect(hits.trim()).toBe('');
  });
});
