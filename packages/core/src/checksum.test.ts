import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalText, checksum } from './checksum.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const LF = '-- add users\nCREATE TABLE users (id int);\n-- strata:down\nDROP TABLE users;\n';

describe('canonicalText', () => {
  it('strips one leading BOM and turns CRLF and lone CR into LF, nothing else', () => {
    expect(canonicalText('\uFEFFa\r\nb\rc\n')).toBe('a\nb\nc\n');
    expect(canonicalText('\uFEFF\uFEFFa')).toBe('\uFEFFa');
    expect(canonicalText('a\uFEFF')).toBe('a\uFEFF');
    expect(canonicalText('a\r\r\nb')).toBe('a\n\nb');
    expect(canonicalText('  a \t\n\n')).toBe('  a \t\n\n');
    expect(canonicalText('')).toBe('');
  });
});

describe('checksum', () => {
  it('is the lower-case hex SHA-256 of the text', () => {
    const text = 'CREATE TABLE t (id integer);\n';
    expect(checksum(text)).toBe(sha256(text));
    expect(checksum(text)).toMatch(/^[0-9a-f]{64}$/);
    // Well-known vectors, independent of node:crypto.
    expect(checksum('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(checksum('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes UTF-8 bytes', () => {
    expect(checksum('é')).toBe(
      createHash('sha256')
        .update(Buffer.from([0xc3, 0xa9]))
        .digest('hex'),
    );
  });

  it('gives a BOM, CRLF or lone CR copy the same hash as the LF text', () => {
    const expected = sha256(LF);
    expect(checksum(LF)).toBe(expected);
    expect(checksum(`\uFEFF${LF}`)).toBe(expected);
    expect(checksum(LF.replace(/\n/g, '\r\n'))).toBe(expected);
    expect(checksum(LF.replace(/\n/g, '\r'))).toBe(expected);
    expect(checksum(`\uFEFF${LF.replace(/\n/g, '\r\n')}`)).toBe(expected);
  });

  it('changes on a one-byte edit in SQL', () => {
    expect(checksum(LF.replace('id int', 'id inT'))).not.toBe(checksum(LF));
    expect(checksum(LF.replace('users;', 'users ;'))).not.toBe(checksum(LF));
  });

  it('changes on a one-byte edit in a comment', () => {
    expect(checksum(LF.replace('-- add users', '-- add user5'))).not.toBe(checksum(LF));
  });

  it('changes on white space other than line endings', () => {
    expect(checksum(`${LF}\n`)).not.toBe(checksum(LF));
    expect(checksum(LF.replace('\n', ' \n'))).not.toBe(checksum(LF));
    expect(checksum(`\uFEFF\uFEFF${LF}`)).not.toBe(checksum(LF)); // only one BOM is stripped
  });
});
