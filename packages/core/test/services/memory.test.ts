import { createMemoryStore } from '../support/memory-store.js';
import { defineMfaServiceSuite } from './mfa-suite.js';
import { definePasskeyServiceSuite } from './passkey-suite.js';
import { defineServiceSuite } from './service-suite.js';

defineServiceSuite('the in-memory store', () =>
  Promise.resolve({ store: createMemoryStore(), cleanup: () => Promise.resolve() }),
);
defineMfaServiceSuite('the in-memory store', () =>
  Promise.resolve({ store: createMemoryStore(), cleanup: () => Promise.resolve() }),
);
definePasskeyServiceSuite('the in-memory store', () =>
  Promise.resolve({ store: createMemoryStore(), cleanup: () => Promise.resolve() }),
);
