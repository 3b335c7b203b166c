/**
 * A software WebAuthn authenticator for server-side tests: an ES256 key pair from node:crypto per
 * credential, attestation `none`, authenticator data and client data built per WebAuthn Level 3
 * (WebAuthn §6.1 authenticator data, WebAuthn §6.5.4 attested credential data, WebAuthn §5.8.1 client data). The server's
 * @simplewebauthn verification runs on its output for real; every field a test may want to forge
 * (origin, RP id, flags, counter, user handle, challenge) can be overridden.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { encodeCBOR, type CBORType } from '@levischuck/tiny-cbor';

// Byte strings as CBOR major type 2, maps as maps (integer keys stay integers): the plain CBOR an
// authenticator writes. tiny-cbor is @simplewebauthn/server's own CBOR dependency (pure JS), so the
// test adds no native module.
const cbor = { encode: (value: CBORType): Uint8Array => encodeCBOR(value) };

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

export interface SoftCredential {
  readonly id: string;
  readonly rpId: string;
  readonly userHandle: string;
  readonly privateKey: KeyObject;
  readonly cosePublicKey: Uint8Array;
  counter: number;
}

interface CreationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
}

interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

export interface Forgery {
  /** Client data origin; default the authenticator's origin. */
  origin?: string;
  /** The RP id whose hash goes into authenticator data; default the options' RP id. */
  rpId?: string;
  /** User verified flag; default true. */
  uv?: boolean;
  /** Signature counter to report (default: the stored one plus one). */
  counter?: number;
  /** The challenge to sign; default the options'. */
  challenge?: string;
  /** `response.userHandle`; default the credential's (null: leave it out). */
  userHandle?: string | null;
  /** Which credential to use; default the first allowed one, or (discoverable) the RP's first. */
  credentialId?: string;
}

function coseKeyOf(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x ?? '', 'base64url');
  const y = Buffer.from(jwk.y ?? '', 'base64url');
  // RFC 9053: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
  return cbor.encode(
    new Map<number, CBORType>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, new Uint8Array(x)],
      [-3, new Uint8Array(y)],
    ]),
  );
}

function authenticatorData(rpId: string, flags: number, counter: number, attested?: Uint8Array): Uint8Array {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(counter >>> 0);
  return new Uint8Array(Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]));
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  /** `origin`: the page's origin, as a browser would report it in client data. */
  constructor(readonly origin: string) {}

  /** `navigator.credentials.create()`: the RegistrationResponseJSON a browser would post. */
  register(options: CreationOptions, forgery: Forgery = {}): Record<string, unknown> {
    const rpId = forgery.rpId ?? options.rp.id ?? new URL(this.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credentialId = new Uint8Array(randomBytes(32));
    const cosePublicKey = coseKeyOf(publicKey);
    const credential: SoftCredential = {
      id: b64url(credentialId),
      rpId: options.rp.id ?? rpId,
      userHandle: options.user.id,
      privateKey,
      cosePublicKey,
      counter: forgery.counter ?? 0,
    };
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, credentialId, cosePublicKey]);
    const flags = FLAG_UP | FLAG_AT | (forgery.uv === false ? 0 : FLAG_UV);
    const authData = authenticatorData(rpId, flags, credential.counter, new Uint8Array(attested));
    const clientData = this.clientData('webauthn.create', forgery.challenge ?? options.challenge, forgery.origin);
    const attestationObject = cbor.encode(
      new Map<string, CBORType>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, CBORType>()],
        ['authData', authData],
      ]),
    );
    this.credentials.push(credential);
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** `navigator.credentials.get()`: the AuthenticationResponseJSON a browser would post. */
  assert(options: RequestOptions, forgery: Forgery = {}): Record<string, unknown> {
    const rpId = options.rpId ?? new URL(this.origin).hostname;
    const allowed = (options.allowCredentials ?? []).map((c) => c.id);
    const credential =
      this.credentials.find((c) => c.id === forgery.credentialId) ??
      (allowed.length > 0
        ? this.credentials.find((c) => allowed.includes(c.id))
        : this.credentials.find((c) => c.rpId === rpId));
    if (!credential) throw new Error('the soft authenticator holds no credential for these options');
    const counter = forgery.counter ?? credential.counter + 1;
    credential.counter = Math.max(credential.counter, counter);
    const flags = FLAG_UP | (forgery.uv === false ? 0 : FLAG_UV);
    const authData = authenticatorData(forgery.rpId ?? rpId, flags, counter);
    const clientData = this.clientData('webauthn.get', forgery.challenge ?? options.challenge, forgery.origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), credential.privateKey);
    const userHandle = forgery.userHandle === undefined ? credential.userHandle : forgery.userHandle;
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(userHandle === null ? {} : { userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  private clientData(type: string, challenge: string, origin = this.origin): Uint8Array {
    return new Uint8Array(Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8'));
  }
}
