import { defineStoreContract } from '../../../../test/store-contract/contract.js';
import { createMemoryStore } from './memory-store.js';

// The unit-test store must keep the promises the real ones keep, or service tests on it prove nothing.
defineStoreContract('in-memory (unit tests only)', () => {
  const store = createMemoryStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
});
