import type { Page } from '@playwright/test';

/** Collects the page's uncaught errors and console errors: a screen that throws while drawing fails its test. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return errors;
}
