import { existsSync } from 'node:fs';
import globalSetup from './globalSetup';

export default function setup(): void {
  const chromium = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    throw new Error(`Chromium not found at ${chromium}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  }
  globalSetup();
}
