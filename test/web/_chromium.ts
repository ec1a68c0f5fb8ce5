/**
 * The browser the dashboard tests drive: Debian's chromium (or CHROMIUM_PATH). Without it a suite is
 * skipped on a developer machine, except under CI (CI=true, as CI services set), where a missing
 * browser must fail rather than pass unseen.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// This machine's closed network makes chromium hang on its background connections without these.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The reason to skip a browser suite here, or false when it must run. */
export const chromiumMissing: string | false =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
    : false;

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
