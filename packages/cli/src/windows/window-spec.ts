/**
 * Maintenance windows (decision 021): pure logic, no I/O. A window is a set of local wall-clock
 * intervals in one IANA time zone, e.g. `{ days: 'mon-fri', from: '22:00', to: '04:00',
 * timezone: 'Europe/Berlin' }`. `days` name the day a window *starts*; a window whose `to` is not
 * after its `from` crosses midnight into the next day. Whether a window is open is decided on the
 * local wall clock at that instant, so DST shifts move the window with the clock, as people expect.
 */

/** A window as written in the config. */
export interface WindowConfig {
  /** Days it starts on: `'mon-fri'`, `'sat,sun'`, `['mon', 'wed']`, `'*'`. @default every day */
  days?: string | readonly string[];
  /** Local start, `HH:MM` (24 h). */
  from: string;
  /** Local end, `HH:MM`; `24:00` is midnight at the end of the day; not after `from`: crosses midnight. */
  to: string;
  /** IANA time zone. @default 'UTC' */
  timezone?: string;
}

/** A window checked and ready to evaluate. */
export interface WindowSpec {
  name: string;
  /** Bit i set: the window starts on weekday i (0 = Sunday). */
  days: number;
  fromMinute: number;
  toMinute: number;
  timezone: string;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const MINUTE = 60_000;
const DAY = 1_440;

/** Parses and checks one window; the message of a thrown Error names the field (the caller adds where). */
export function parseWindow(name: string, config: WindowConfig): WindowSpec {
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new Error('must be an object { days, from, to, timezone }');
  for (const key of Object.keys(config)) {
    if (!['days', 'from', 'to', 'timezone'].includes(key)) throw new Error(`has an unknown key "${key}" (valid: days, from, to, timezone)`);
  }
  const fromMinute = parseClock(config.from, 'from', false);
  const toMinute = parseClock(config.to, 'to', true);
  if (fromMinute === toMinute || (fromMinute === 0 && toMinute === DAY)) {
    // A window open all day long is no window: say so rather than guess.
    throw new Error('from and to are the same time: a window must close (for "always open", remove the directive)');
  }
  const timezone = config.timezone ?? 'UTC';
  if (typeof timezone !== 'string') throw new Error('timezone must be an IANA name such as "Europe/Berlin"');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new Error(`timezone ${JSON.stringify(timezone)} is not a time zone this Node knows (use an IANA name such as "Europe/Berlin")`);
  }
  return { name, days: parseDays(config.days), fromMinute, toMinute: toMinute === DAY ? DAY : toMinute, timezone };
}

function parseClock(value: unknown, field: string, allow24: boolean): number {
  const match = typeof value === 'string' ? /^([01]?\d|2[0-4]):([0-5]\d)$/.exec(value) : null;
  const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
  if (!match || minutes > DAY || (minutes === DAY && !allow24))
    throw new Error(`${field} must be a local time "HH:MM" (00:00–23:59${allow24 ? ', or 24:00' : ''}), not ${JSON.stringify(value)}`);
  return minutes;
}

/** `'mon-fri,sun'`, `['mon', 'tue']`, `'*'` → a bit set of weekdays (0 = Sunday). */
function parseDays(value: unknown): number {
  if (value === undefined || value === '*') return 0b1111111;
  const parts = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!parts || parts.length === 0) throw new Error('days must be like "mon-fri", "sat,sun", "*" or ["mon", "wed"]');
  let bits = 0;
  for (const raw of parts) {
    const part = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    const [first, last] = part.split('-');
    const start = dayIndex(first, raw);
    const end = last === undefined ? start : dayIndex(last, raw);
    // A range wraps the week: fri-mon is fri, sat, sun, mon.
    for (let day = start; ; day = (day + 1) % 7) {
      bits |= 1 << day;
      if (day === end) break;
    }
  }
  return bits;
}

function dayIndex(text: string | undefined, raw: unknown): number {
  const index = DAY_NAMES.indexOf((text ?? '').slice(0, 3) as (typeof DAY_NAMES)[number]);
  if (index === -1 || !text || text.length < 3)
    throw new Error(`days: ${JSON.stringify(raw)} is not a day (use mon, tue, wed, thu, fri, sat, sun, ranges such as mon-fri)`);
  return index;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local wall clock in a time zone: weekday (0 = Sunday), minute of the day, and the date. */
export function localClock(at: number, timezone: string): { weekday: number; minute: number; year: number; month: number; day: number } {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timezone, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(at)) parts[part.type] = part.value;
  return {
    weekday: DAY_NAMES.indexOf(parts.weekday!.toLowerCase().slice(0, 3) as (typeof DAY_NAMES)[number]),
    minute: Number(parts.hour) * 60 + Number(parts.minute),
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
  };
}

/** True when the window is open at the instant `at` (milliseconds since the epoch). */
export function isOpen(window: WindowSpec, at: number): boolean {
  const { weekday, minute } = localClock(at, window.timezone);
  const startsOn = (day: number) => (window.days & (1 << ((day + 7) % 7))) !== 0;
  if (window.fromMinute < window.toMinute) return startsOn(weekday) && minute >= window.fromMinute && minute < window.toMinute;
  // Crosses midnight: the evening part of a start day, or the morning after one.
  return (startsOn(weekday) && minute >= window.fromMinute) || (startsOn(weekday - 1) && minute < window.toMinute);
}

/**
 * The first instant at or after `at` when the window is open (`at` itself when it is open now).
 * Works on whole minutes: a local start inside a DST gap opens when the clock jumps past it.
 */
export function nextOpening(window: WindowSpec, at: number): number {
  if (isOpen(window, at)) return at;
  return nextChange(window, at, true);
}

/** The first instant after `at` when an open window closes (`at` when it is closed). */
export function nextClosing(window: WindowSpec, at: number): number {
  if (!isOpen(window, at)) return at;
  return nextChange(window, at, false);
}

/**
 * Finds the next instant whose openness is `open`. Jumps from one candidate boundary (local `from`
 * or `to` on each of the next 8 days, converted to an instant) to the next, then settles the exact
 * minute with a short linear scan (a boundary in a DST gap or overlap is off by up to an hour).
 */
function nextChange(window: WindowSpec, at: number, open: boolean): number {
  const start = Math.ceil(at / MINUTE) * MINUTE;
  const { year, month, day } = localClock(at, window.timezone);
  const candidates: number[] = [];
  for (let offset = -1; offset <= 8; offset++) {
    for (const minute of [window.fromMinute, window.toMinute % DAY]) {
      const instant = instantOf(year, month, day + offset + (minute === 0 && window.toMinute === DAY ? 1 : 0), minute, window.timezone);
      if (instant >= start - 2 * 60 * MINUTE) candidates.push(instant);
    }
  }
  candidates.sort((a, b) => a - b);
  for (const candidate of candidates) {
    // Scan the minutes around the candidate: the wall clock decides, not the arithmetic.
    for (let t = Math.max(start, candidate - 60 * MINUTE); t <= candidate + 61 * MINUTE; t += MINUTE) {
      if (isOpen(window, t) === open) return t;
    }
  }
  throw new Error(`window ${window.name} never ${open ? 'opens' : 'closes'}`);
}

/** The instant of a local date and minute in a time zone (two passes over the zone offset). */
function instantOf(year: number, month: number, day: number, minute: number, timezone: string): number {
  const wall = Date.UTC(year, month - 1, day, 0, minute);
  let guess = wall - offsetAt(wall, timezone);
  guess = wall - offsetAt(guess, timezone);
  return guess;
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(at: number, timezone: string): number {
  const local = localClock(at, timezone);
  const wall = Date.UTC(local.year, local.month - 1, local.day, 0, local.minute);
  return wall - Math.floor(at / MINUTE) * MINUTE;
}

/** "in 3 h 5 min", "in 40 min", "in 2 d 4 h": how long until an instant, for people. */
export function describeDelay(ms: number): string {
  const minutes = Math.max(0, Math.ceil(ms / MINUTE));
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `in ${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return `in ${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

/** The local time of an instant in the window's zone, `2026-03-29 22:00 Europe/Berlin`. */
export function describeLocal(at: number, timezone: string): string {
  const { year, month, day, minute } = localClock(at, timezone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${year}-${pad(month)}-${pad(day)} ${pad(Math.floor(minute / 60))}:${pad(minute % 60)} ${timezone}`;
}
