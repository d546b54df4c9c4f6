import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/shared/storage/ftcd/crc32c';

describe('CRC-32C', () => {
  it('matches the RFC 3720 (iSCSI) test vectors and the check value', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('chains: checksumming pieces equals checksumming the whole, for every split and length', () => {
    const bytes = Uint8Array.from({ length: 67 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let length = 0; length <= bytes.length; length += 1) {
      const whole = crc32c(bytes, 0, 0, length);
      for (let split = 0; split <= length; split += 1) {
        expect(crc32c(bytes, crc32c(bytes, 0, 0, split), split, length)).toBe(whole);
      }
    }
  });
});
