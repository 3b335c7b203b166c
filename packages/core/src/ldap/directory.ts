/**
 * The `Directory` port: what LDAP sign-in needs from a directory server, so tests and other
 * backends can stand in for the ldapts client.
 */

/** What the directory says about a person who proved their password. Values as the server sent them. */
export interface DirectoryUser {
  /** The entry's DN (used for the password bind; never stored). */
  readonly dn: string;
  /** First value of the e-mail attribute; null when absent, empty or in no-email mode. */
  readonly email: string | null;
  readonly displayName: string | null;
  /** Normalised (see `uniqueIdText`); null when not configured or absent. */
  readonly uniqueId: string | null;
  /** DNs of the user's groups (memberOf values or group-search hits), not canonicalised. */
  readonly groups: readonly string[];
}

/**
 * `invalid`: the directory answered and the login is refused (unknown user, wrong password,
 * ambiguous match). `unavailable`: no directory server could be asked (down, TLS failure, time-out):
 * the caller answers 503 and does not count it against the account.
 */
export type DirectoryOutcome =
  | { readonly ok: true; readonly user: DirectoryUser }
  | { readonly ok: false; readonly reason: 'invalid' | 'unavailable' };

/** What `check-env --online` reports: a service-account (or anonymous) bind and one test search. */
export interface DirectoryProbe {
  readonly ok: boolean;
  /** One line per server tried. */
  readonly lines: readonly string[];
}

export interface Directory {
  /** Never throws: every failure is one of the two outcomes. */
  authenticate(username: string, password: string): Promise<DirectoryOutcome>;
  /**
   * For `check-env --online`: on every server, binds as the service account (or anonymously) and
   * runs the user search for `sample` (escaped like a login name), reporting what it found.
   */
  probe?(sample?: string): Promise<DirectoryProbe>;
}
