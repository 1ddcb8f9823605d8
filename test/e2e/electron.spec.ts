import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, _electron as electron } from '@playwright/test';
import { ROOT } from '../support/engine';

/** The Electron binary if it was downloaded; never triggers electron's own lazy download. */
function electronBinary(): { path?: string; reason?: string } {
  const pathFile = join(ROOT, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return { reason: 'the Electron binary is not installed (node_modules/electron/path.txt missing; its download needs internet)' };
  const exe = join(ROOT, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? { path: exe } : { reason: `the Electron binary is missing at ${exe}` };
}

const binary = electronBinary();

test('the desktop app opens a secure window and reaches the engine', async () => {
  if (!binary.path) {
    console.log(`skipping the Electron launch test: ${binary.reason}`);
    test.skip(true, binary.reason);
    return;
  }
  const app = await electron.launch({ executablePath: binary.path, args: [ROOT, '--no-sandbox'] });
  try {
    const window = await app.firstWindow();
    await expect(window.getByTestId('engine-backend')).not.toContainText('…');
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const w = BrowserWindow.getAllWindows()[0]!;
      const p = (w.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> | null }).getLastWebPreferences();
      return { contextIsolation: p?.contextIsolation, sandbox: p?.sandbox, nodeIntegration: p?.nodeIntegration };
    });
    expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
  } finally {
    await app.close();
  }
});
