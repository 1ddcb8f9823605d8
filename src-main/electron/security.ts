/**
 * The desktop window's security settings in one place, free of Electron imports so that a
 * unit test can read them: the Electron security checklist, item by item.
 */

/** BrowserWindow webPreferences (checklist 2, 3, 4, 6, 9, 10, 12). */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    // A middle click on a link would open a new window without a click handler seeing it.
    disableBlinkFeatures: 'Auxclick',
  } as const;
}

/**
 * The Content Security Policy of the renderer (checklist 7). The same string is in
 * src-renderer/index.html's meta tag (tested), since file:// pages get no response headers.
 * frame-ancestors is ignored in a meta tag; serve adds it as a header.
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Whether an IPC message comes from our own page (checklist 17): the top frame of our
 * window, loaded from the app's own file or, in development, the electron-vite dev server.
 */
export function isTrustedSender(frameUrl: string | undefined, rendererUrl: string): boolean {
  if (!frameUrl) return false;
  try {
    const frame = new URL(frameUrl);
    const own = new URL(rendererUrl);
    if (own.protocol === 'file:') return frame.protocol === 'file:' && frame.pathname === own.pathname;
    return frame.origin === own.origin;
  } catch {
    return false;
  }
}

/** Navigation is allowed only to the page already loaded (checklist 13). */
export function isAllowedNavigation(targetUrl: string, rendererUrl: string): boolean {
  return isTrustedSender(targetUrl, rendererUrl);
}
