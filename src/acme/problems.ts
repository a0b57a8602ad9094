/**
 * ACME problem documents (RFC 8555 6.7, RFC 7807): every refusal of the ACME server is one of
 * these, with the ACME error type a client acts on (e.g. a fresh nonce on `badNonce`).
 */

export type AcmeErrorType =
  | 'badNonce'
  | 'malformed'
  | 'unauthorized'
  | 'accountDoesNotExist'
  | 'externalAccountRequired'
  | 'rejectedIdentifier'
  | 'unsupportedIdentifier'
  | 'orderNotReady'
  | 'badCSR'
  | 'badRevocationReason'
  | 'alreadyRevoked'
  | 'badSignatureAlgorithm'
  | 'incorrectResponse'
  | 'connection'
  | 'serverInternal';

const STATUS: Readonly<Record<AcmeErrorType, number>> = {
  badNonce: 400,
  malformed: 400,
  unauthorized: 403,
  accountDoesNotExist: 400,
  externalAccountRequired: 403,
  rejectedIdentifier: 400,
  unsupportedIdentifier: 400,
  orderNotReady: 403,
  badCSR: 400,
  badRevocationReason: 400,
  alreadyRevoked: 400,
  badSignatureAlgorithm: 400,
  incorrectResponse: 403,
  connection: 400,
  serverInternal: 500,
};

/** A refusal the ACME server answers as a problem document. */
export class AcmeProblem extends Error {
  readonly status: number;
  constructor(
    readonly type: AcmeErrorType,
    readonly detail: string,
    status?: number,
  ) {
    super(detail);
    this.name = 'AcmeProblem';
    this.status = status ?? STATUS[type];
  }

  toJSON(): { type: string; detail: string; status: number } {
    return { type: `urn:ietf:params:acme:error:${this.type}`, detail: this.detail, status: this.status };
  }
}
