// Integration and e2e tests run the built engine and renderer: build first when stale.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export default function setup(): void {
  const script = join(__dirname, '..', '..', 'src-main', 'bin', 'build-if-needed.mjs');
  const result = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('the build failed: run `npm run build` to see why');
}
