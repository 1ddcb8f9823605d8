/**
 * Saving bytes from the page: the same in Electron (its download shows a save dialog) and in a
 * browser (a download). The page never sees the file system.
 */

/** Offers `bytes` (or a Blob) for download as `fileName`. */
export function downloadBytes(fileName: string, data: Uint8Array | Blob, mediaType = 'application/octet-stream'): void {
  const blob = data instanceof Blob ? data : new Blob([data as BlobPart], { type: mediaType });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A canvas as PNG, drawn over the page's background colour: chart canvases are transparent,
 * and light lines on a transparent PNG vanish in most image viewers.
 */
export function canvasToPng(canvas: HTMLCanvasElement): Promise<Blob> {
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const context = copy.getContext('2d');
  if (!context) return Promise.reject(new Error('this browser cannot draw a canvas to copy the chart'));
  context.fillStyle = getComputedStyle(canvas).getPropertyValue('--bg').trim() || getComputedStyle(document.body).backgroundColor || '#ffffff';
  context.fillRect(0, 0, copy.width, copy.height);
  context.drawImage(canvas, 0, 0);
  return new Promise((resolve, reject) => copy.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the chart could not be encoded as PNG'))), 'image/png'));
}

/** A file name from a title: `Loss (train)` → `loss-train`. */
export function fileSlug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'chart';
}
