import { describe, expect, it } from 'vitest';
import { canonicalDn, isValidDn } from '../../src/ldap/dn.js';
import { escapeFilterValue, fillFilter } from '../../src/ldap/filter.js';
import { uniqueIdText } from '../../src/ldap/unique-id.js';

describe('DNs (docs/phoenix-contract.md#ldap-dn)', () => {
  it.each([
    ['CN = John Smith , OU = Engineering , DC = corp', 'cn=john smith,ou=engineering,dc=corp'],
    ['email=john@corp.com+cn=John Smith,dc=corp', 'cn=john smith+email=john@corp.com,dc=corp'],
    ['cn=Smith\\, John,dc=corp', 'cn=smith\\, john,dc=corp'],
    ['cn=José García,dc=corp', 'cn=josé garcía,dc=corp'],
    ['', ''],
  ])('canonical form of %s', (dn, canonical) => {
    expect(canonicalDn(dn)).toBe(canonical);
    expect(canonicalDn(canonical)).toBe(canonical);
  });

  it('keeps hex escapes as written: \\2c and \\, stay different', () => {
    expect(canonicalDn('cn=a\\2cb,dc=x')).not.toBe(canonicalDn('cn=a\\,b,dc=x'));
  });

  it.each(['not_a_valid_dn', 'not a valid dn', '2.5.4.3=x', 'cn=', 'cn=a,', ' cn=a', 'cn=a\\'])(
    'strict check refuses %j',
    (dn) => {
      expect(isValidDn(dn)).toBe(false);
    },
  );

  it.each(['', 'cn=service,ou=accounts,dc=example,dc=com', 'cn=a\\,b+uid=c,dc=x', 'ou=people,dc=example,dc=com'])(
    'strict check accepts %j',
    (dn) => {
      expect(isValidDn(dn)).toBe(true);
    },
  );
});

describe('filter escaping (docs/phoenix-contract.md#ldap-filter)', () => {
  it('escapes exactly the five specials and leaves the rest', () => {
    expect(escapeFilterValue('a\\b*c(d)e\u0000f')).toBe('a\\5cb\\2ac\\28d\\29e\\00f');
    expect(escapeFilterValue('é&|=!<>~\r\n')).toBe('é&|=!<>~\r\n');
  });

  it('replaces every %s and nothing else', () => {
    expect(fillFilter('(|(uid=%s)(mail=%s)(x=%d))', '*)(uid=*))(|(uid=*')).toBe(
      '(|(uid=\\2a\\29\\28uid=\\2a\\29\\29\\28|\\28uid=\\2a)(mail=\\2a\\29\\28uid=\\2a\\29\\29\\28|\\28uid=\\2a)(x=%d))',
    );
  });
});

describe('unique ids (docs/phoenix-contract.md#ldap-provisioning)', () => {
  it('16 bytes are a GUID in mixed-endian order; text is trimmed and lower-cased; invalid UTF-8 is hex', () => {
    const guid = Buffer.from([
      0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    ]);
    expect(uniqueIdText(guid)).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(uniqueIdText(Buffer.from('  ABC-def-0123456789 '))).toBe('abc-def-0123456789');
    expect(uniqueIdText(Buffer.from([0xff, 0xfe, 0x01]))).toBe('fffe01');
    expect(uniqueIdText(Buffer.from('   '))).toBeNull();
    expect(uniqueIdText(null)).toBeNull();
  });
});
