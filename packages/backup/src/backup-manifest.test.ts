import { describe, expect, it } from 'vitest';
import { BACKUP_ID_PATTERN, createBackupId, isBackupId, parseManifest } from './backup-manifest.js';

const valid = {
  format: 1,
  id: '20250131T142501123Z-a1b2c3',
  createdAt: '2025-01-31T14:25:01.123Z',
  dialect: 'sqlite',
  database: 'sqlite:/srv/app.db',
  target: 'sqlite:/srv/app.db',
  sequence: 3,
  schemaVersions: { core: '1.1.0' },
  size: 4096,
  sha256: 'a'.repeat(64),
  durationMs: 12,
  toolVersion: '0.1.0',
  runId: null,
  file: '20250131T142501123Z-a1b2c3.sqlite',
  verified: true,
  verifyMs: 3,
};

describe('parseManifest of a manifest written before targets were recorded', () => {
  it('reads it as an unknown target with sequence 0', () => {
    const { target: _target, sequence: _sequence, ...old } = valid;
    expect(parseManifest(old)).toMatchObject({ target: null, sequence: 0 });
  });
});

describe('createBackupId', () => {
  it('is UTC time to the millisecond plus 6 hex digits, and sorts by time', () => {
    expect(createBackupId(new Date('2025-01-31T14:25:01.123Z'), 'a1b2c3')).toBe('20250131T142501123Z-a1b2c3');
    const earlier = createBackupId(new Date('2025-01-31T09:59:59.999Z'));
    const later = createBackupId(new Date('2025-01-31T10:00:00.000Z'));
    expect(earlier < later).toBe(true);
    expect(createBackupId()).toMatch(BACKUP_ID_PATTERN);
  });

  it('rejects ids that could escape the directory', () => {
    expect(isBackupId('../../etc/passwd')).toBe(false);
    expect(isBackupId('20250131T142501123Z-a1b2c3/..')).toBe(false);
  });
});

describe('parseManifest', () => {
  it('reads a valid manifest unchanged', () => {
    expect(parseManifest(valid)).toEqual(valid);
  });

  it('refuses a manifest whose file points outside its directory or to another id', () => {
    expect(parseManifest({ ...valid, file: '../other.sqlite' })).toBeUndefined();
    expect(parseManifest({ ...valid, file: '20250131T142501123Z-a1b2c3.sqlite/../../x' })).toBeUndefined();
    expect(parseManifest({ ...valid, file: '20990101T000000000Z-ffffff.sqlite' })).toBeUndefined();
  });

  it('refuses malformed fields', () => {
    expect(parseManifest(null)).toBeUndefined();
    expect(parseManifest({ ...valid, sha256: 'xyz' })).toBeUndefined();
    expect(parseManifest({ ...valid, size: '4096' })).toBeUndefined();
    expect(parseManifest({ ...valid, schemaVersions: { core: 1 } })).toBeUndefined();
  });
});
