import QRCode from 'qrcode';

/**
 * The enrolment QR code as an SVG document (no canvas, no native code), error correction M:
 * what authenticator apps scan reliably from a screen.
 */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
