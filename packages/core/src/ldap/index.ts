export type { Directory, DirectoryOutcome, DirectoryProbe, DirectoryUser } from './directory.js';
export { createLdapDirectory, type LdapDirectoryOptions } from './ldapts-directory.js';
export { canonicalDn, isValidDn } from './dn.js';
export { escapeFilterValue, fillFilter } from './filter.js';
export { uniqueIdText } from './unique-id.js';
export { ldapLogin, mapLdapRole, isLdapEmailMarker, LDAP_NO_EMAIL_PREFIX } from './sign-in.js';
