import { parseWindow, type WindowConfig, type WindowSpec } from './window-spec.js';

const NAME = /^[A-Za-z][\w-]*$/;

/** Checks a config's `windows` object (a config error, exit 2, names the key). */
export function checkWindowsConfig(windows: unknown, fail: (key: string, why: string, hint?: string) => never): void {
  if (typeof windows !== 'object' || windows === null || Array.isArray(windows)) {
    fail(
      'windows',
      'must be an object { name: { days, from, to, timezone } }',
      "windows: { nightly: { days: 'mon-fri', from: '22:00', to: '04:00', timezone: 'Europe/Berlin' } }",
    );
  }
  for (const [name, config] of Object.entries(windows as object)) {
    if (!NAME.test(name)) fail(`windows.${name}`, 'is not a window name (a letter, then letters, digits, "_" or "-")');
    try {
      parseWindow(name, config as WindowConfig);
    } catch (error) {
      fail(
        `windows.${name}`,
        (error as Error).message,
        "Example: { days: 'mon-fri', from: '22:00', to: '04:00', timezone: 'Europe/Berlin' }",
      );
    }
  }
}

/** The config's windows, parsed (the config was checked when it was loaded). */
export function windowSpecs(windows: Record<string, WindowConfig> | undefined): Map<string, WindowSpec> {
  const specs = new Map<string, WindowSpec>();
  for (const [name, config] of Object.entries(windows ?? {})) specs.set(name, parseWindow(name, config));
  return specs;
}
