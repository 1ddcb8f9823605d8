/**
 * Electron main process: one window, menus, dialogs, and the engine's supervision. Thin on
 * purpose: everything that can run in plain Node lives in the engine and the host.
 */
import { app, BrowserWindow, ipcMain, session, shell, utilityProcess, type WebContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IPC_EVENT_CHANNEL, IPC_PREFIX, requestChannels, toErrorShape, ContractError } from '@contract';
import { EngineHost, type EngineProcess, type Spawner } from '../host/engineHost';
import { RunsFolderSetting } from '../host/runsFolder';
import { RunsHost, type RunShell } from '../host/runsHost';
import { isAllowedNavigation, isTrustedSender, secureWebPreferences } from './security';

const ENGINE_PATH = join(__dirname, 'engine.js');
const PRELOAD_PATH = join(__dirname, '../preload/index.js');
const RENDERER_HTML = join(__dirname, '../renderer/index.html');
const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
const rendererUrl = devServerUrl ?? pathToFileURL(RENDERER_HTML).toString();

/** Starts the engine as an Electron utilityProcess: a Node process that cannot take the window down. */
const utilitySpawner: Spawner = (args) => {
  const child = utilityProcess.fork(ENGINE_PATH, args, { serviceName: 'Trainbench engine', stdio: 'inherit' });
  let exited = false;
  const handle: EngineProcess = {
    get pid() {
      return child.pid ?? null;
    },
    send: (message) => {
      if (!exited) child.postMessage(message);
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) =>
      child.once('exit', (code) => {
        exited = true;
        listener(code, null);
      }),
    kill: () => {
      if (!exited) child.kill();
    },
  };
  return handle;
};

// The runs folder: TRAINBENCH_RUNS_DIR, else the one set on the Runs screen, else userData/runs.
const runsFolder = new RunsFolderSetting(undefined, join(app.getPath('userData'), 'settings.json'), process.env, join(app.getPath('userData'), 'runs'));
// Delete goes to the system trash and reveal opens the file manager: only main can reach them.
const runShell: RunShell = { trash: (path) => shell.trashItem(path), reveal: (path) => shell.showItemInFolder(path) };
const engine = new EngineHost(utilitySpawner, {
  log: (line) => console.error(`[engine] ${line}`),
  runsDir: runsFolder.path,
  runs: new RunsHost(runsFolder, runShell),
});
let mainWindow: BrowserWindow | null = null;

function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url, rendererUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAllowedNavigation(url, rendererUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // No new windows, and no handing of page-chosen URLs to the OS (checklist 14, 15).
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

function registerIpc(): void {
  for (const channel of requestChannels) {
    ipcMain.handle(`${IPC_PREFIX}${channel}`, async (event, payload: unknown) => {
      if (!mainWindow || event.sender !== mainWindow.webContents || !isTrustedSender(event.senderFrame?.url, rendererUrl)) {
        return { ok: false, error: new ContractError({ code: 'invalid-message', message: 'IPC from an untrusted frame' }).toShape() };
      }
      try {
        return { ok: true, result: await engine.request(channel, payload) };
      } catch (error) {
        return { ok: false, error: toErrorShape(error) };
      }
    });
  }
  engine.onEvent((channel, payload) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_EVENT_CHANNEL, { channel, payload });
  });
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 900,
    minHeight: 600,
    title: 'Trainbench',
    show: false,
    webPreferences: secureWebPreferences(PRELOAD_PATH),
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => (mainWindow = null));
  if (devServerUrl) void mainWindow.loadURL(devServerUrl);
  else void mainWindow.loadFile(RENDERER_HTML);
}

app.enableSandbox();
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  void app.whenReady().then(() => {
    // No permission (camera, notifications, geolocation, ...) is ever granted (checklist 5).
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    registerIpc();
    createWindow();
    void engine.start().catch((error: unknown) => console.error(`engine failed to start: ${String(error)}`));
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => engine.dispose());
}
