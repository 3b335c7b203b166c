/**
 * The unique-id attribute as text (docs/phoenix-contract.md#ldap-provisioning): exactly 16 bytes are a binary GUID (Active
 * Directory's objectGUID) shown in Microsoft's mixed-endian order; anything else is UTF-8 text,
 * trimmed and lower-cased, or lower-case hex when it is not valid UTF-8. Empty → null.
 */
export function uniqueIdText(raw: Buffer | null | undefined): string | null {
  if (!raw || raw.length === 0) return null;
  if (raw.length === 16) return guidText(raw);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return raw.toString('hex');
  }
  const trimmed = text.trim().toLowerCase();
  return trimmed === '' ? null : trimmed;
}

function guidText(bytes: Buffer): string {
  const hex = (start: number, end: number, reverse: boolean): string => {
    const part = [...bytes.subarray(start, end)];
    return (reverse ? part.reverse() : part).map((b) => b.toString(16).padStart(2, '0')).join('');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join('-');
}
