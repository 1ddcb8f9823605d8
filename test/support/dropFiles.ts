/** Real drag-and-drop of files in a Playwright page (the Data screen's tests). */
import type { Locator, Page } from '@playwright/test';

/**
 * Drops files on `target` as a person's drag would: dragenter, dragover and drop events
 * carrying a DataTransfer of File objects. The bytes reach the page from this process
 * through a routed same-origin URL, so that tens of megabytes need no base64 round trip.
 * `hold` keeps the drag over the page between dragover and drop, to look at the highlight.
 */
export async function dropFiles(page: Page, target: Locator, files: { name: string; bytes: Buffer }[], hold?: () => Promise<void>): Promise<void> {
  const byName = new Map(files.map((f) => [f.name, f.bytes]));
  await page.route('**/__fixtures/*', (route) => {
    const name = decodeURIComponent(new URL(route.request().url()).pathname.split('/').pop() ?? '');
    const bytes = byName.get(name);
    return bytes ? route.fulfill({ status: 200, body: bytes, contentType: 'application/octet-stream' }) : route.fulfill({ status: 404 });
  });
  await target.evaluate(async (element, names) => {
    const transfer = new DataTransfer();
    for (const name of names) {
      const blob = await (await fetch(`/__fixtures/${encodeURIComponent(name)}`)).blob();
      transfer.items.add(new File([blob], name));
    }
    (window as unknown as { __drop: DataTransfer }).__drop = transfer;
    for (const type of ['dragenter', 'dragover']) element.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files.map((f) => f.name));
  await hold?.();
  await target.evaluate((element) => {
    const transfer = (window as unknown as { __drop: DataTransfer }).__drop;
    element.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  await page.unroute('**/__fixtures/*');
}
