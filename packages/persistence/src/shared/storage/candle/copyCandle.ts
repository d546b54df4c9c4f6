/**
 * Fresh plain copies with exactly the DTO's fields in wire order (optional bin
 * fields only when present): the store never aliases its callers' objects.
 * One implementation, core's, serves both the domain and the stores.
 */
export { binInWireOrder as copyBin, inWireOrder as copyCandle } from '@flowtrace/core';
