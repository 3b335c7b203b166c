import { createMemoryStore } from '../support/memory-store.js';
import { defineServiceSuite } from './service-suite.js';

defineServiceSuite('the in-memory store', () => Promise.resolve({ store: createMemoryStore(), cleanup: () => Promise.resolve() }));
