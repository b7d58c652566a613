import { describe, expect, it } from 'vitest';
import { describeDelay, describeLocal, isOpen, nextClosing, nextOpening, parseWindow } from './window-spec.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('parseWindow', () => {
  it('reads days as ranges, lists and arrays; a range may wrap the week', () => {
    expect(parseWindow('w', { days: 'mon-fri', from: '22:00', to: '04:00' }).days).toBe(0b0111110);
    expect(parseWindow('w', { days: 'fri-mon', from: '22:00', to: '04:00' }).days).toBe(0b1100011);
    expect(parseWindow('w', { days: ['sat', 'Sunday'], from: '01:00', to: '02:00' }).days).toBe(0b1000001);
    expect(parseWindow('w', { from: '01:00', to: '24:00' }).days).toBe(0b1111111);
    expect(parseWindow('w', { from: '01:00', to: '02:00' }).timezone).toBe('UTC');
  });

  it('names what is wrong', () => {
    expect(() => parseWindow('w', { from: '25:00', to: '02:00' })).toThrow(/from must be a local time "HH:MM"/);
    expect(() => parseWindow('w', { from: '24:00', to: '02:00' })).toThrow(/from must be/);
    expect(() => parseWindow('w', { from: '01:00', to: '1am' })).toThrow(/to must be/);
    expect(() => parseWindow('w', { from: '01:00', to: '01:00' })).toThrow(/same time/);
    expect(() => parseWindow('w', { from: '01:00', to: '02:00', timezone: 'Mars/Olympus' })).toThrow(/Mars\/Olympus.*IANA/);
    expect(() => parseWindow('w', { from: '01:00', to: '02:00', days: 'weekdays' })).toThrow(/is not a day/);
    expect(() => parseWindow('w', { from: '01:00', to: '02:00', tz: 'UTC' } as never)).toThrow(/unknown key "tz"/);
  });
});

describe('isOpen / nextOpening / nextClosing', () => {
  it('a window crossing midnight belongs to the day it starts on', () => {
    const friday = parseWindow('w', { days: 'fri', from: '22:00', to: '02:00' });
    expect(isOpen(friday, at('2026-01-02T21:59:00Z'))).toBe(false); // Friday 21:59
    expect(isOpen(friday, at('2026-01-02T22:00:00Z'))).toBe(true);
    expect(isOpen(friday, at('2026-01-03T01:59:00Z'))).toBe(true); // Saturday morning
    expect(isOpen(friday, at('2026-01-03T02:00:00Z'))).toBe(false);
    expect(isOpen(friday, at('2026-01-03T22:30:00Z'))).toBe(false); // Saturday evening: not a start day
    expect(isOpen(friday, at('2026-01-02T01:00:00Z'))).toBe(false); // Friday morning: Thursday did not start one
    expect(iso(nextOpening(friday, at('2026-01-03T03:00:00Z')))).toBe('2026-01-09T22:00:00.000Z');
    expect(iso(nextClosing(friday, at('2026-01-02T23:00:00Z')))).toBe('2026-01-03T02:00:00.000Z');
    expect(nextOpening(friday, at('2026-01-02T23:00:00Z'))).toBe(at('2026-01-02T23:00:00Z'));
  });

  it('follows the local clock across time zones', () => {
    const tokyo = parseWindow('w', { from: '02:00', to: '03:00', timezone: 'Asia/Tokyo' });
    const la = parseWindow('w', { from: '02:00', to: '03:00', timezone: 'America/Los_Angeles' });
    const t = at('2026-06-01T12:00:00Z');
    expect(iso(nextOpening(tokyo, t))).toBe('2026-06-01T17:00:00.000Z'); // 02:00 JST = 17:00 UTC
    expect(iso(nextOpening(la, t))).toBe('2026-06-02T09:00:00.000Z'); // 02:00 PDT = 09:00 UTC
  });

  it('America/New_York: the same window opens an hour earlier in UTC after the spring change', () => {
    const ny = parseWindow('w', { days: 'mon-fri', from: '01:00', to: '05:00', timezone: 'America/New_York' });
    expect(iso(nextOpening(ny, at('2026-03-06T05:30:00Z')))).toBe('2026-03-06T06:00:00.000Z'); // Friday, EST
    expect(iso(nextOpening(ny, at('2026-03-06T12:00:00Z')))).toBe('2026-03-09T05:00:00.000Z'); // Monday, EDT
    expect(isOpen(ny, at('2026-03-09T05:00:00Z'))).toBe(true);
    expect(isOpen(ny, at('2026-03-09T04:59:00Z'))).toBe(false);
  });

  it('Europe/Berlin spring forward: a night window is an hour shorter, and a start inside the gap opens when the clock jumps', () => {
    const nightly = parseWindow('nightly', { from: '22:00', to: '04:00', timezone: 'Europe/Berlin' });
    expect(isOpen(nightly, at('2026-03-28T20:59:00Z'))).toBe(false); // Saturday 21:59 CET
    expect(iso(nextOpening(nightly, at('2026-03-28T20:30:00Z')))).toBe('2026-03-28T21:00:00.000Z'); // 22:00 CET
    expect(iso(nextClosing(nightly, at('2026-03-28T21:00:00Z')))).toBe('2026-03-29T02:00:00.000Z'); // 04:00 CEST
    expect(isOpen(nightly, at('2026-03-29T01:30:00Z'))).toBe(true); // 03:30 CEST

    const gap = parseWindow('gap', { days: 'sun', from: '02:30', to: '03:30', timezone: 'Europe/Berlin' });
    // 02:30 does not exist on 2026-03-29: 01:59 CET (00:59Z) is followed by 03:00 CEST (01:00Z).
    expect(isOpen(gap, at('2026-03-29T00:59:00Z'))).toBe(false);
    expect(iso(nextOpening(gap, at('2026-03-29T00:00:00Z')))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(nextClosing(gap, at('2026-03-29T01:00:00Z')))).toBe('2026-03-29T01:30:00.000Z');
  });

  it('Europe/Berlin fall back: a window on the repeated hour stays open through both of them', () => {
    const repeated = parseWindow('w', { days: 'sun', from: '02:00', to: '03:00', timezone: 'Europe/Berlin' });
    // 2026-10-25: 02:00–03:00 CEST is 00:00–01:00Z, then 02:00–03:00 CET is 01:00–02:00Z.
    expect(iso(nextOpening(repeated, at('2026-10-24T23:00:00Z')))).toBe('2026-10-25T00:00:00.000Z');
    expect(isOpen(repeated, at('2026-10-25T01:30:00Z'))).toBe(true);
    expect(iso(nextClosing(repeated, at('2026-10-25T00:00:00Z')))).toBe('2026-10-25T02:00:00.000Z');
    const nightly = parseWindow('nightly', { from: '22:00', to: '04:00', timezone: 'Europe/Berlin' });
    // Saturday 22:00 CEST (20:00Z) to Sunday 04:00 CET (03:00Z): seven hours.
    expect(iso(nextOpening(nightly, at('2026-10-24T12:00:00Z')))).toBe('2026-10-24T20:00:00.000Z');
    expect(iso(nextClosing(nightly, at('2026-10-24T20:00:00Z')))).toBe('2026-10-25T03:00:00.000Z');
  });

  it('24:00 ends the window at the next midnight', () => {
    const evening = parseWindow('w', { days: 'sat', from: '18:00', to: '24:00', timezone: 'UTC' });
    expect(isOpen(evening, at('2026-01-03T23:59:00Z'))).toBe(true);
    expect(isOpen(evening, at('2026-01-04T00:00:00Z'))).toBe(false);
    expect(iso(nextClosing(evening, at('2026-01-03T20:00:00Z')))).toBe('2026-01-04T00:00:00.000Z');
  });
});

describe('describe', () => {
  it('says delays and local times for people', () => {
    expect(describeDelay(40 * 60_000)).toBe('in 40 min');
    expect(describeDelay(3 * 3_600_000)).toBe('in 3 h');
    expect(describeDelay(3 * 3_600_000 + 5 * 60_000)).toBe('in 3 h 5 min');
    expect(describeDelay(50 * 3_600_000)).toBe('in 2 d 2 h');
    expect(describeLocal(at('2026-03-28T21:00:00Z'), 'Europe/Berlin')).toBe('2026-03-28 22:00 Europe/Berlin');
  });
});
