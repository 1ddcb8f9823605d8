/** Recorded in every run and every export; kept in step with package.json by a test. */
export const TRAINBENCH_VERSION = '0.1.0';
