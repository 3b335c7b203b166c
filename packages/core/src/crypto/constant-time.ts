import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

let key: Buffer | undefined;

function digest(value: string): Buffer {
  key ??= randomBytes(32);
  // UTF-16LE is lossless for every JavaScript string; UTF-8 would map each lone surrogate to
  // U+FFFD and make different strings compare equal.
  return createHmac('sha256', key).update(value, 'utf16le').digest();
}

/**
 * Compares two secrets (the admin secret against a bearer value, for instance) without an early
 * return on the first differing character or on a length mismatch: both sides are reduced to
 * HMACs under a per-process random key, and those fixed-size digests are compared in constant
 * time. The key being unknown to the caller means timing reveals nothing about the content.
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
